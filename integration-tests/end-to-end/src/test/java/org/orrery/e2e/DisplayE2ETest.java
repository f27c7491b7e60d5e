package org.orrery.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The display as a user drives it: ./orrery runs a bare-metal guest (display/display.c, built now) that draws through
 * virtio-gpu-device and reads virtio-keyboard-device and virtio-tablet-device; screendump (PPM, PNG) and a VNC client
 * see exactly the guest's pixels, a key typed and the pointer moved over VNC reach the guest, the guest's bad requests are refused with error responses, and
 * virtio-gpu-pci is there through virtio-pci.
 */
@Tag("e2e")
@Timeout(180)
class DisplayE2ETest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final int W = 320, H = 200;
    private static Path guest;

    @TempDir Path tmp;

    @BeforeAll static void buildGuest() throws Exception {
        Path dir = Files.createTempDirectory("display-guest");
        for (String f : List.of("display.c", "display.ld"))
            try (InputStream in = DisplayE2ETest.class.getResourceAsStream("/display/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        Process p = new ProcessBuilder("riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2", "-nostdlib",
                "-nostartfiles", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-Wl,--no-warn-rwx-segments", "-T", "display.ld",
                "display.c", "-o", "display.elf").directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "building the display guest failed:\n" + out);
        guest = dir.resolve("display.elf");
    }

    /** The guest's picture: r = x*7, g = y*3, b = x+y, each mod 256. */
    static int expected(int x, int y) { return (x * 7 & 255) << 16 | (y * 3 & 255) << 8 | (x + y & 255); }

    static void assertPicture(String what, int w, int h, int[] rgb) {
        assertEquals(W + "x" + H, w + "x" + h, what + " size");
        int wrong = 0, first = -1;
        for (int i = 0; i < W * H; i++)
            if (rgb[i] != expected(i % W, i / W)) { wrong++; if (first < 0) first = i; }
        if (wrong > 0)
            fail(what + ": " + wrong + " pixels differ, the first at (" + first % W + "," + first / W + "): got "
                    + Integer.toHexString(rgb[first]) + ", wanted " + Integer.toHexString(expected(first % W, first / W)));
    }

    @Test void screendumpAndVncSeeTheGuestsPixelsAndTypingReachesTheGuest() throws Exception {
        Path qmpSocket = tmp.resolve("q.sock"), vncSocket = tmp.resolve("v.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-bios", "none", "-kernel", guest.toString(),
                "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-gpu-device,id=gpu0", "-device", "virtio-keyboard-device", "-device", "virtio-tablet-device",
                "-display", "none", "-vnc", "unix:" + vncSocket, "-serial", "stdio", "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
             QmpClient q = o.qmp(qmpSocket)) {
            o.await("drawn", Duration.ofSeconds(60));
            o.await("refusals ok", Duration.ofSeconds(10));
            o.await("input ready: 2 devices", Duration.ofSeconds(10));
            assertFalse(o.output().contains("gpu error"), o.output());

            Path ppm = tmp.resolve("shot.ppm"), png = tmp.resolve("shot.png");
            q.call("screendump", F.objectNode().put("filename", ppm.toString()).put("device", "gpu0").put("head", 0));
            q.call("screendump", F.objectNode().put("filename", png.toString()).put("format", "png"));
            byte[] p = Files.readAllBytes(ppm);
            String header = "P6\n" + W + " " + H + "\n255\n";
            assertEquals(header, new String(p, 0, header.length(), StandardCharsets.US_ASCII));
            int[] fromPpm = new int[W * H];
            for (int i = 0; i < W * H; i++) {
                int at = header.length() + 3 * i;
                fromPpm[i] = (p[at] & 255) << 16 | (p[at + 1] & 255) << 8 | (p[at + 2] & 255);
            }
            assertPicture("PPM", W, H, fromPpm);
            BufferedImage img = ImageIO.read(png.toFile());
            assertPicture("PNG", img.getWidth(), img.getHeight(), rgb(img));

            try (SocketChannel vnc = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                vnc.connect(UnixDomainSocketAddress.of(vncSocket));
                DataInputStream in = new DataInputStream(Channels.newInputStream(vnc));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(vnc));
                int[] frame = vncFrame(in, out);
                assertPicture("VNC frame", W, H, frame);
                String info = q.call("human-monitor-command", F.objectNode().put("command-line", "info vnc")).asText();
                // QEMU 7.2's words for a unix socket: an empty host, the path as the service
                assertEquals("default:\n  Server: :" + vncSocket + " (unix)\n    Auth: none (Sub: none)\n  Client: : (unix)\n"
                        + "    x509_dname: none\n    sasl_username: none\n", info.replace("\r\n", "\n"));
                JsonNode v = q.call("query-vnc");
                assertTrue(v.path("enabled").asBoolean());
                assertEquals(1, v.path("clients").size(), v.toString());
                // 'q' down and up (keysym 0x71): KEY_Q is 16
                out.write(ByteBuffer.allocate(16).put((byte) 4).put((byte) 1).putShort((short) 0).putInt('q')
                        .put((byte) 4).put((byte) 0).putShort((short) 0).putInt('q').array());
                o.await("key 16 1\nkey 16 0", Duration.ofSeconds(20));
                // the pointer at the right edge, half-way down, left button held: the tablet scales to 0..32767
                out.write(ByteBuffer.allocate(6).put((byte) 5).put((byte) 1).putShort((short) (W - 1)).putShort((short) ((H - 1) / 2)).array());
                o.await("abs 0 32767\nabs 1 " + (H - 1) / 2 * 32767 / (H - 1) + "\nkey 272 1", Duration.ofSeconds(20));
            }

            String error = assertThrows(RuntimeException.class,
                    () -> q.call("screendump", F.objectNode().put("filename", tmp.resolve("x.ppm").toString()).put("device", "nothing"))).getMessage();
            assertTrue(error.contains("Device 'nothing' not found"), error);
            String hmp = q.call("human-monitor-command", F.objectNode().put("command-line", "screendump " + tmp.resolve("h.png") + " -f png")).asText();
            assertEquals("", hmp);
            BufferedImage fromHmp = ImageIO.read(tmp.resolve("h.png").toFile());
            assertPicture("HMP PNG", fromHmp.getWidth(), fromHmp.getHeight(), rgb(fromHmp));
        }
    }

    /** The image's pixels as 0x00RRGGBB (ImageIO gives opaque ARGB). */
    static int[] rgb(BufferedImage img) {
        int[] px = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
        for (int i = 0; i < px.length; i++) px[i] &= 0xffffff;
        return px;
    }

    /** An RFB 3.8 client's first frame: security None, the server's 32-bit format, Raw. */
    static int[] vncFrame(DataInputStream in, DataOutputStream out) throws IOException {
        byte[] version = new byte[12];
        in.readFully(version);
        assertEquals("RFB 003.008\n", new String(version, StandardCharsets.US_ASCII));
        out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        in.readFully(new byte[in.readUnsignedByte()]);
        out.write(1);
        assertEquals(0, in.readInt(), "security result");
        out.write(1);
        int w = in.readUnsignedShort(), h = in.readUnsignedShort();
        in.readFully(new byte[16]);
        in.readFully(new byte[in.readInt()]);
        out.write(ByteBuffer.allocate(8).put((byte) 2).put((byte) 0).putShort((short) 1).putInt(0).array());
        out.write(ByteBuffer.allocate(10).put((byte) 3).put((byte) 0).putShort((short) 0).putShort((short) 0)
                .putShort((short) w).putShort((short) h).array());
        int[] rgb = new int[w * h];
        int covered = 0;
        while (covered < w * h) {
            assertEquals(0, in.readUnsignedByte(), "FramebufferUpdate");
            in.readUnsignedByte();
            for (int n = in.readUnsignedShort(); n > 0; n--) {
                int x = in.readUnsignedShort(), y = in.readUnsignedShort(), rw = in.readUnsignedShort(), rh = in.readUnsignedShort();
                assertEquals(0, in.readInt(), "Raw");
                byte[] data = new byte[rw * rh * 4];
                in.readFully(data);
                ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                for (int j = 0; j < rh; j++) for (int i = 0; i < rw; i++) rgb[(y + j) * w + x + i] = b.getInt() & 0xffffff;
                covered += rw * rh;
            }
        }
        assertEquals(W + "x" + H, w + "x" + h, "ServerInit size");
        return rgb;
    }

    @Test void virtioGpuPciIsDerivedBochsDisplayIsThereAndTheirConsolesAreBlankUntilTheGuestDraws() throws Exception {
        Path qmpSocket = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S",
                "-device", "virtio-gpu-pci,id=video0", "-device", "virtio-tablet-pci", "-device", "bochs-display,id=vga", "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
             QmpClient q = o.qmp(qmpSocket)) {
            String pci = q.call("human-monitor-command", F.objectNode().put("command-line", "info pci")).asText();
            assertTrue(pci.contains("1af4:1050") || pci.toLowerCase().contains("id \"video0\""), pci);
            List<String> ids = new ArrayList<>();
            for (JsonNode bus : q.call("query-pci"))
                for (JsonNode d : bus.path("devices")) ids.add(Integer.toHexString(d.path("id").path("device").asInt()) + "/"
                        + Integer.toHexString(d.path("class_info").path("class").asInt()));
            assertTrue(ids.contains("1050/380"), "virtio-gpu-pci: device 0x1050, display controller: " + ids);
            assertTrue(ids.contains("1052/980"), "virtio-tablet-pci: device 0x1052, input controller: " + ids);
            assertTrue(ids.contains("1111/380"), "bochs-display: device 0x1111, display controller: " + ids);
            Path ppm = tmp.resolve("blank.ppm");
            q.call("screendump", F.objectNode().put("filename", ppm.toString()).put("device", "video0"));
            byte[] p = Files.readAllBytes(ppm);
            assertEquals("P6\n640 480\n255\n".length() + 640 * 480 * 3, p.length);
            for (int i = "P6\n640 480\n255\n".length(); i < p.length; i++) assertEquals(0, p[i]);
            q.call("screendump", F.objectNode().put("filename", tmp.resolve("vga.ppm").toString()).put("device", "vga"));
            assertEquals(p.length, Files.size(tmp.resolve("vga.ppm")), "bochs-display's head, off: the same placeholder");
        }
    }

    @Test void aPasswordSetThroughTheMonitorLetsTheRightClientIn() throws Exception {
        Path qmpSocket = tmp.resolve("q.sock"), vncSocket = tmp.resolve("v.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S",
                "-vnc", "unix:" + vncSocket + ",password=on", "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
             QmpClient q = o.qmp(qmpSocket)) {
            assertEquals("vnc", q.call("query-vnc").path("auth").asText());
            assertFalse(vncLogin(vncSocket, "secret"), "no password yet: nobody gets in");
            assertEquals("", q.call("human-monitor-command", F.objectNode().put("command-line", "change vnc password secret")).asText());
            assertFalse(vncLogin(vncSocket, "wrong"));
            assertTrue(vncLogin(vncSocket, "secret"));
            q.call("set_password", F.objectNode().put("protocol", "vnc").put("password", "other"));
            assertTrue(vncLogin(vncSocket, "other"));
        }
    }

    /** VNC authentication as RFC 6143 describes it, computed here with the JDK's DES; true when the server lets us in. */
    static boolean vncLogin(Path socket, String password) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(ch));
            in.readFully(new byte[12]);
            out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            byte[] types = new byte[in.readUnsignedByte()];
            in.readFully(types);
            assertArrayEquals(new byte[] {2}, types, "only VNC authentication is offered");
            out.write(2);
            byte[] challenge = new byte[16];
            in.readFully(challenge);
            byte[] key = new byte[8];
            byte[] pw = password.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < Math.min(8, pw.length); i++) key[i] = (byte) (Integer.reverse(pw[i]) >>> 24);
            javax.crypto.Cipher des = javax.crypto.Cipher.getInstance("DES/ECB/NoPadding");
            des.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "DES"));
            out.write(des.doFinal(challenge));
            return in.readInt() == 0;
        }
    }

    @Test void displayVncStartsTheServerAndChangeVncMovesIt() throws Exception {
        Path qmpSocket = tmp.resolve("q.sock"), first = tmp.resolve("a.sock"), second = tmp.resolve("b.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S",
                "-display", "vnc=unix:" + first, "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
             QmpClient q = o.qmp(qmpSocket)) {
            assertEquals(first.toString(), q.call("query-vnc").path("service").asText());
            assertEquals("", q.call("human-monitor-command", F.objectNode().put("command-line", "change vnc unix:" + second)).asText());
            assertEquals(second.toString(), q.call("query-vnc").path("service").asText());
            assertFalse(Files.exists(first), "the old socket is gone");
            try (SocketChannel vnc = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                vnc.connect(UnixDomainSocketAddress.of(second));
                DataInputStream in = new DataInputStream(Channels.newInputStream(vnc));
                byte[] version = new byte[12];
                in.readFully(version);
                assertEquals("RFB 003.008\n", new String(version, StandardCharsets.US_ASCII));
            }
            q.call("x-vnc-display", F.objectNode().put("display", "none"));
            assertFalse(q.call("query-vnc").path("enabled").asBoolean());
            assertEquals("None", q.call("human-monitor-command", F.objectNode().put("command-line", "info vnc")).asText().strip());
        }
    }

    @Test void aWrongVncOptionEndsTheLauncherWithOneLine() throws Exception {
        Orrery o = Orrery.run(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S", "-vnc", ":1,colour=blue"),
                Duration.ofSeconds(60));
        assertEquals(1, o.exitStatus(), o.output());
        assertEquals("orrery: -vnc :1,colour=blue: Invalid parameter 'colour'", o.output().strip());
    }
}
