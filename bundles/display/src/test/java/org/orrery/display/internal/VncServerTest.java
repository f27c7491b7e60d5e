package org.orrery.display.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.display.Console;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.InputReceiver;
import org.orrery.machine.display.Surface;
import org.orrery.qom.QomException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The VNC server on a real unix socket, driven by an RFB client written from RFC 6143. */
@Timeout(30)
class VncServerTest {
    static final int W = 100, H = 60;
    @TempDir Path tmp;
    TestMachine machine;
    Consoles consoles;
    Console console;
    VncServer server;
    Path socket;

    static int pattern(int x, int y) { return (x * 2) << 16 | (y * 4) << 8 | ((x + y) & 0xff); }

    @BeforeEach void setUp() {
        machine = new TestMachine();
        consoles = Consoles.of(machine.tree());
        console = new Console("gpu0", 0);
        Surface s = new Surface(W, H);
        int[] px = new int[W * H];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) px[y * W + x] = pattern(x, y);
        s.write(0, 0, W, H, px, 0, W);
        console.replaceSurface(s);
        consoles.register(console);
        socket = tmp.resolve("vnc.sock");
        server = new VncServer(VncAddress.parse("unix:" + socket), consoles, "Orrery");
    }

    @AfterEach void tearDown() {
        server.close();
        assertFalse(Files.exists(socket), "the socket file goes with the server");
    }

    @Test void aRawFrameInTheServersFormatIsTheSurface() throws Exception {
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            assertEquals(W, c.width);
            assertEquals(H, c.height);
            assertEquals("Orrery", c.name);
            c.encodings(0);
            c.request(false, 0, 0, W, H);
            List<RfbTestClient.Rect> rects = c.update(4);
            assertEquals(1, rects.size());
            ByteBuffer b = ByteBuffer.wrap(rects.get(0).data()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < W * H; i++) assertEquals(pattern(i % W, i / W), b.getInt(4 * i), "pixel " + i);
        }
    }

    @Test void zlibIn16BitBigEndianRgb565() throws Exception {
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.pixelFormat(16, 16, true, 31, 63, 31, 11, 5, 0, true);
            c.encodings(6, 0);
            c.request(false, 0, 0, W, H);
            RfbTestClient.Rect r = c.update(2).get(0);
            assertEquals(6, r.encoding());
            ByteBuffer b = ByteBuffer.wrap(r.data());
            for (int i = 0; i < W * H; i++) {
                int p = pattern(i % W, i / W);
                int want = (((p >> 16) & 255) * 31 / 255) << 11 | (((p >> 8) & 255) * 63 / 255) << 5 | (p & 255) * 31 / 255;
                assertEquals(want, b.getShort(2 * i) & 0xffff, "pixel " + i);
            }
            // a second update on the same deflate stream
            console.updated(1, 2, 3, 4);
            c.request(true, 0, 0, W, H);
            RfbTestClient.Rect r2 = c.update(2).get(0);
            assertEquals(List.of(1, 2, 3, 4), List.of(r2.x(), r2.y(), r2.w(), r2.h()));
        }
    }

    @Test void anIncrementalUpdateSendsWhatChangedAndAResizeTheNewSize() throws Exception {
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.encodings(0, -223);
            c.request(false, 0, 0, W, H);
            c.update(4);
            c.request(true, 0, 0, W, H);
            Thread.sleep(100);
            assertEquals(0, c.in.available(), "nothing changed: no update yet");
            console.surface().write(10, 20, 1, 1, new int[] {0xabcdef}, 0, 1);
            console.updated(10, 20, 1, 1);
            RfbTestClient.Rect r = c.update(4).get(0);
            assertEquals(List.of(10, 20, 1, 1), List.of(r.x(), r.y(), r.w(), r.h()));
            assertEquals(0xabcdef, ByteBuffer.wrap(r.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt());
            console.replaceSurface(new Surface(32, 16));
            c.request(true, 0, 0, W, H);
            List<RfbTestClient.Rect> rs = c.update(4);
            assertEquals(-223, rs.get(0).encoding());
            assertEquals(List.of(32, 16), List.of(rs.get(0).w(), rs.get(0).h()));
            assertEquals(List.of(0, 0, 32, 16), List.of(rs.get(1).x(), rs.get(1).y(), rs.get(1).w(), rs.get(1).h()));
        }
    }

    /** An input device as the console layer sees one, recording what arrives. */
    static final class Recorder implements InputReceiver {
        final Kind kind;
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();

        Recorder(Kind kind) { this.kind = kind; }

        @Override public Kind kind() { return kind; }
        @Override public void key(int code, boolean down) { events.add("key " + code + " " + down); }
        @Override public void pointer(int x, int y, int buttons) { events.add("pointer " + x + " " + y + " " + buttons); }
        @Override public void wheel(int steps) { events.add("wheel " + steps); }
        @Override public void sync() { events.add("sync"); }

        String next() throws InterruptedException { return events.poll(10, TimeUnit.SECONDS); }
    }

    @Test void keysAndThePointerReachTheInputDevices() throws Exception {
        Recorder keyboard = new Recorder(InputReceiver.Kind.KEYBOARD), tablet = new Recorder(InputReceiver.Kind.POINTER);
        consoles.addReceiver(keyboard);
        consoles.addReceiver(tablet);
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.key('A', true);
            c.key(0xff0d, false);   // Return
            c.key(0x20ac, true);    // the euro sign: no key on a US keyboard, dropped
            c.pointer(1, W - 1, 0);
            c.pointer(1 | 8, W - 1, 0);
            assertEquals("key 30 true", keyboard.next());
            assertEquals("sync", keyboard.next());
            assertEquals("key 28 false", keyboard.next());
            assertEquals("sync", keyboard.next());
            assertEquals("pointer 32767 0 1", tablet.next());
            assertEquals("sync", tablet.next());
            assertEquals("pointer 32767 0 1", tablet.next());
            assertEquals("wheel 1", tablet.next());
            assertNull(keyboard.events.poll(200, TimeUnit.MILLISECONDS), "nothing for the euro sign");
        }
    }

    @Test void garbageInsteadOfAVersionIsDisconnectedAndTheServerGoesOn() throws Exception {
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.in.readFully(new byte[12]);
            c.out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(c.closedByServer());
        }
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.out.write(new byte[] {(byte) 200, 1, 2, 3});        // no such message
            assertTrue(c.closedByServer());
        }
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.pixelFormat(8, 8, false, 0, 0, 0, 0, 0, 0, false);  // a colour map: not served
            assertTrue(c.closedByServer());
        }
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.out.write(new byte[] {6, 0, 0, 0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});   // 2 GiB of cut text
            assertTrue(c.closedByServer());
        }
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            c.encodings(0);
            c.request(false, 0, 0, 1, 1);
            assertEquals(1, c.update(4).size(), "a well-behaved client is still served");
        }
        waitUntil(() -> server.clients().isEmpty());
    }

    @Test void vncAuthenticationIsDesAsEveryClientComputesIt() {
        byte[] challenge = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        // computed with OpenSSL (des-ecb, key "secret" with each byte's bits reversed)
        assertEquals("ee22539f33a5983ec12f9c2edbc995dd", HexFormat.of().formatHex(VncAuth.response("secret", challenge)));
        assertEquals(HexFormat.of().formatHex(VncAuth.response("secret12", challenge)),
                HexFormat.of().formatHex(VncAuth.response("secret12-and-more", challenge)), "only 8 characters count");
    }

    @Test void aPasswordIsAskedForAndChecked() throws Exception {
        server.close();
        server = new VncServer(VncAddress.parse("unix:" + socket + ",password=on"), consoles, "Orrery");
        assertFalse(login("anything"), "no password set yet: nobody gets in");
        server.setPassword("secret");
        assertFalse(login("wrong"));
        assertTrue(login("secret"));
    }

    private boolean login(String password) throws Exception {
        try (RfbTestClient c = new RfbTestClient(socket)) {
            assertArrayEquals(new byte[] {2}, c.version());
            c.out.write(2);
            byte[] challenge = new byte[16];
            c.in.readFully(challenge);
            c.out.write(VncAuth.response(password, challenge));
            int result = c.in.readInt();
            if (result != 0) {
                byte[] reason = new byte[c.in.readInt()];
                c.in.readFully(reason);
                assertEquals("Authentication failed", new String(reason, StandardCharsets.UTF_8));
                return false;
            }
            c.init();
            assertEquals(W, c.width);
            return true;
        }
    }

    @Test void addressesAreParsedAsQemuWritesThem() {
        VncAddress a = VncAddress.parse(":3");
        assertEquals("/127.0.0.1:5903", a.address().toString());
        assertEquals(5901, ((java.net.InetSocketAddress) VncAddress.parse("0.0.0.0:1,password=on").address()).getPort());
        assertTrue(VncAddress.parse("unix:/tmp/x.sock,password=on").password());
        assertEquals("Invalid parameter 'colour'", assertThrows(QomException.class, () -> VncAddress.parse(":1,colour=blue")).getMessage());
        assertThrows(QomException.class, () -> VncAddress.parse("nowhere"));
        assertThrows(QomException.class, () -> VncAddress.parse(":70000"));
    }

    @Test void withoutAConsoleTheScreenIsBlackAndFollowsTheFirstConsoleThatComes() throws Exception {
        consoles.unregister(console);
        try (RfbTestClient c = new RfbTestClient(socket)) {
            c.connect();
            assertEquals(Console.BLANK_WIDTH, c.width);
            c.encodings(0, -223);
            c.request(false, 0, 0, 1, 1);
            c.update(4);
            consoles.register(console);
            c.request(true, 0, 0, W, H);
            List<RfbTestClient.Rect> rs = c.update(4);
            assertEquals(-223, rs.get(0).encoding());
            assertEquals(W, rs.get(0).w());
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) Thread.sleep(25);
        assertTrue(condition.getAsBoolean());
    }
}
