package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd.CharEvent;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class SocketChardevTest {
    private final TestMachine m = ChardevTestSupport.machine();

    @AfterEach void close() {
        m.close();
        TestFrontEnd.await("chardev threads to end", () -> ChardevTestSupport.chardevThreads().isEmpty());
    }

    private CharBackend chardev(String id) { return (CharBackend) m.call(() -> m.tree.resolve("/chardevs/" + id)); }

    private TestFrontEnd attach(String id) {
        TestFrontEnd fe = new TestFrontEnd();
        m.call(() -> { chardev(id).attach(fe); return null; });
        return fe;
    }

    private static SocketChannel unixClient(Path p) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(p));
        return c;
    }

    private static void send(SocketChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) c.write(b);
    }

    private static String recv(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) if (c.read(b) < 0) break;
        return new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1);
    }

    private String filename(int index) { return m.qmp("query-chardev", null).get(index).get("filename").asText(); }

    @Test void unixServerServesOneClientAtATime(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("s.sock");
        m.qmp("chardev-add", "{\"id\":\"s\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\",\"data\":{\"path\":\"" + sock + "\"}},\"server\":true,\"wait\":false}}}");
        TestFrontEnd fe = attach("s");
        assertEquals("disconnected:unix:" + sock + ",server=on", filename(0));
        assertEquals(4, TestFrontEnd.write(m, chardev("s"), "lost"), "nobody connected: dropped but accepted");
        try (SocketChannel c1 = unixClient(sock)) {
            TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
            assertEquals("unix:" + sock + ",server=on", filename(0));
            send(c1, "abc");
            TestFrontEnd.await("input", () -> fe.text().equals("abc"));
            TestFrontEnd.write(m, chardev("s"), "xyz");
            assertEquals("xyz", recv(c1, 3));
            // a second client waits in the backlog while the first is served
            SocketChannel c2 = unixClient(sock);
            send(c2, "second");
            Thread.sleep(200);
            assertEquals("abc", fe.text());
            c1.close();
            TestFrontEnd.await("CLOSED", () -> fe.events.contains(CharEvent.CLOSED));
            TestFrontEnd.await("second client's input", () -> fe.text().equals("abcsecond"));
            assertEquals(2, fe.events.stream().filter(e -> e == CharEvent.OPENED).count());
            TestFrontEnd.write(m, chardev("s"), "hi2");
            assertEquals("hi2", recv(c2, 3));
            c2.close();
        }
    }

    @Test void tcpServerFromCommandLineOptions() throws Exception {
        m.text("x-chardev-add-opts", "{\"id\":\"t\",\"backend\":\"socket\",\"host\":\"127.0.0.1\",\"port\":\"0\",\"server\":\"on\",\"wait\":\"off\",\"nodelay\":\"on\"}");
        int port = m.call(() -> ((SocketChardev) m.tree.resolve("/chardevs/t")).localPort());
        assertTrue(port > 0);
        assertEquals("disconnected:tcp:127.0.0.1:" + port + ",server=on", filename(0));
        TestFrontEnd fe = attach("t");
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
            String local = ((InetSocketAddress) c.getLocalAddress()).getPort() + "";
            assertEquals("tcp:127.0.0.1:" + port + ",server=on <-> 127.0.0.1:" + local, filename(0));
            send(c, "ping");
            TestFrontEnd.await("input", () -> fe.text().equals("ping"));
            TestFrontEnd.write(m, chardev("t"), "pong");
            assertEquals("pong", recv(c, 4));
        }
    }

    @Test void busyPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            String e = assertThrows(QomException.class, () -> m.qmp("chardev-add", "{\"id\":\"t\",\"backend\":{\"type\":\"socket\",\"data\":"
                    + "{\"addr\":{\"type\":\"inet\",\"data\":{\"host\":\"127.0.0.1\",\"port\":\"" + port + "\"}},\"server\":true,\"wait\":false}}}")).getMessage();
            assertEquals("Failed to bind socket to 127.0.0.1:" + port + ": Address already in use", e);
        }
        assertNull(m.call(() -> m.tree.resolve("/chardevs/t")));
    }

    @Test void clientWithoutReconnectFailsClearly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        String e = assertThrows(QomException.class, () -> m.text("x-chardev-add-opts",
                "{\"id\":\"c\",\"backend\":\"socket\",\"host\":\"127.0.0.1\",\"port\":\"" + port + "\"}")).getMessage();
        assertEquals("Failed to connect to '127.0.0.1:" + port + "': Connection refused", e);
    }

    @Test void clientReconnectsAfterThePeerGoes() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            m.qmp("chardev-add", "{\"id\":\"c\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"inet\",\"data\":"
                    + "{\"host\":\"127.0.0.1\",\"port\":\"" + port + "\"}},\"server\":false,\"reconnect\":1}}}");
            TestFrontEnd fe = attach("c");
            try (SocketChannel peer = server.accept()) {
                TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
                send(peer, "one");
                TestFrontEnd.await("input", () -> fe.text().equals("one"));
                assertTrue(filename(0).startsWith("tcp:"), filename(0));
            }
            TestFrontEnd.await("CLOSED", () -> fe.events.contains(CharEvent.CLOSED));
            assertTrue(filename(0).startsWith("disconnected:tcp:127.0.0.1:" + port), filename(0));
            long t0 = System.nanoTime();
            try (SocketChannel peer = server.accept()) {
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waited < 5000, "reconnected after " + waited + " ms");
                TestFrontEnd.await("second OPENED", () -> fe.events.stream().filter(e -> e == CharEvent.OPENED).count() == 2);
                TestFrontEnd.write(m, chardev("c"), "two");
                assertEquals("two", recv(peer, 3));
            }
        }
    }

    @Test void clientWithReconnectStartsBeforeTheServerExists(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("later.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"c\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"reconnect\":\"1\"}");
        TestFrontEnd fe = attach("c");
        assertFalse(m.call(() -> chardev("c").isConnected()));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            try (SocketChannel peer = server.accept()) {
                TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
                send(peer, "late");
                TestFrontEnd.await("input", () -> fe.text().equals("late"));
            }
        }
    }

    @Test void aVanishingPeerIsSurvived(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("v.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"s\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\",\"wait\":\"off\"}");
        TestFrontEnd fe = attach("s");
        SocketChannel c = unixClient(sock);
        TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
        c.close();
        byte[] lots = new byte[4096];
        for (int i = 0; i < 100; i++) m.call(() -> chardev("s").write(lots, 0, lots.length));
        TestFrontEnd.await("CLOSED", () -> fe.events.contains(CharEvent.CLOSED));
        assertEquals(lots.length, (int) m.call(() -> chardev("s").write(lots, 0, lots.length)), "output without a peer is dropped, never refused");
        try (SocketChannel again = unixClient(sock)) {
            TestFrontEnd.await("reopened", () -> fe.events.stream().filter(e -> e == CharEvent.OPENED).count() == 2);
            send(again, "back");
            TestFrontEnd.await("input", () -> fe.text().equals("back"));
        }
    }

    @Test void waitOnBlocksUntilTheFirstClient(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("w.sock");
        Thread client = new Thread(() -> {
            try {
                TestFrontEnd.await("socket file", () -> Files.exists(sock));
                try (SocketChannel c = unixClient(sock)) {
                    send(c, "early");
                    Thread.sleep(300);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        client.start();
        m.text("x-chardev-add-opts", "{\"id\":\"w\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\"}");
        assertTrue(m.call(() -> chardev("w").isConnected()), "wait=on returns with a client connected");
        TestFrontEnd fe = attach("w");
        TestFrontEnd.await("input held until a front-end came", () -> fe.text().equals("early"));
        client.join();
    }

    @Test void slowReaderNeverBlocksTheMachineThreadAndLosesNothing(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("bp.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"s\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\",\"wait\":\"off\"}");
        TestFrontEnd fe = attach("s");
        final int total = 4 << 20;
        byte[] data = new byte[total];
        for (int i = 0; i < total; i++) data[i] = (byte) (i * 31 + (i >>> 13));
        try (SocketChannel c = unixClient(sock)) {
            c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            TestFrontEnd.await("OPENED", () -> fe.events.contains(CharEvent.OPENED));
            CharBackend be = chardev("s");
            AtomicLong sent = new AtomicLong();
            AtomicLong slowest = new AtomicLong();
            // the "UART": writes until refused, resumes on outputReady
            Runnable pump = new Runnable() {
                @Override public void run() {
                    while (sent.get() < total) {
                        long t0 = System.nanoTime();
                        int n = be.write(data, (int) sent.get(), (int) Math.min(1024, total - sent.get()));
                        slowest.accumulateAndGet(System.nanoTime() - t0, Math::max);
                        sent.addAndGet(n);
                        if (n == 0) return; // wait for outputReady
                    }
                }
            };
            fe.onOutputReady = pump;
            m.call(() -> { pump.run(); return null; });
            assertTrue(sent.get() < total, "the bounded buffer refused output the reader has not taken");
            assertTrue(sent.get() <= Chardev.BUFFER + (1 << 20), "accepted " + sent.get());
            // the reader is slow: 64 KiB at a time with pauses
            ByteBuffer got = ByteBuffer.allocate(total);
            while (got.hasRemaining()) {
                ByteBuffer slice = got.slice(got.position(), Math.min(65536, got.remaining()));
                int n = c.read(slice);
                if (n < 0) break;
                got.position(got.position() + n);
                if (got.position() % (1 << 20) < 65536) Thread.sleep(20);
            }
            assertEquals(total, sent.get());
            assertArrayEquals(data, got.array(), "every byte arrived, in order");
            assertTrue(fe.outputReadyCalls > 0);
            assertTrue(slowest.get() < 50_000_000, "a write took " + slowest.get() / 1000 + " us");
        }
    }

    @Test void inputIsHeldUntilTheFrontEndHasRoom(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("in.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"s\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\",\"wait\":\"off\"}");
        TestFrontEnd fe = new TestFrontEnd();
        fe.window = 16;
        m.call(() -> { chardev("s").attach(fe); return null; });
        try (SocketChannel c = unixClient(sock)) {
            send(c, "0123456789".repeat(10));
            TestFrontEnd.await("first 16", () -> fe.size() == 16);
            Thread.sleep(100);
            assertEquals(16, fe.size(), "no more than the front-end could take");
            assertEquals(0, fe.window);
            m.call(() -> { chardev("s").frontEndReady(); return null; });
            assertEquals(16, fe.size(), "frontEndReady with a full FIFO gives nothing");
            fe.window = 1000;
            m.call(() -> { chardev("s").frontEndReady(); return null; });
            TestFrontEnd.await("all", () -> fe.size() == 100);
            assertEquals("0123456789".repeat(10), fe.text());
        }
    }

    @Test void telnetServerNegotiatesAndStripsCommands() throws Exception {
        m.text("x-chardev-add-opts", "{\"id\":\"t\",\"backend\":\"socket\",\"host\":\"127.0.0.1\",\"port\":\"0\",\"server\":\"on\",\"wait\":\"off\",\"telnet\":\"on\"}");
        int port = m.call(() -> ((SocketChardev) m.tree.resolve("/chardevs/t")).localPort());
        TestFrontEnd fe = attach("t");
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            assertEquals((byte) 255, recv(c, 12).getBytes(StandardCharsets.ISO_8859_1)[0]);
            send(c, "a\u00ff\u00fb\u0001b\u00ff\u00ffc\u00ff\u00f3");
            TestFrontEnd.await("input", () -> fe.text().equals("ab\u00ffc"));
            TestFrontEnd.await("break", () -> fe.events.contains(CharEvent.BREAK));
            assertTrue(filename(0).startsWith("telnet:"), filename(0));
        }
    }

    @Test void removalClosesSocketsAndThreads(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("r.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"s\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\",\"wait\":\"off\"}");
        m.text("x-chardev-add-opts", "{\"id\":\"t\",\"backend\":\"socket\",\"host\":\"127.0.0.1\",\"port\":\"0\",\"server\":\"on\",\"wait\":\"off\"}");
        int port = m.call(() -> ((SocketChardev) m.tree.resolve("/chardevs/t")).localPort());
        SocketChannel c = unixClient(sock);
        TestFrontEnd.await("connected", () -> m.call(() -> chardev("s").isConnected()));
        m.qmp("chardev-remove", "{\"id\":\"s\"}");
        m.qmp("chardev-remove", "{\"id\":\"t\"}");
        assertEquals(-1, c.read(ByteBuffer.allocate(1)), "the client sees the end");
        c.close();
        assertFalse(Files.exists(sock));
        TestFrontEnd.await("threads to end", () -> ChardevTestSupport.chardevThreads().isEmpty());
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress("127.0.0.1", port)); // the port was released
        }
    }
}
