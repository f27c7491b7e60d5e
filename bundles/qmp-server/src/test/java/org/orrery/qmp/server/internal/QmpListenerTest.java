package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Endpoints: unix and TCP, their lifecycle, many clients, dead clients, leaks, and socat as a client. */
class QmpListenerTest {
    @TempDir Path dir;
    TestMachine m;

    @BeforeEach void start() { m = new TestMachine(); }

    @AfterEach void stop() { m.close(); }

    private static void eventually(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    private int clients(String id) {
        for (JsonNode l : m.run("query-qmp-listeners", null)) if (l.get("id").asText().equals(id)) return l.get("clients").asInt();
        return -1;
    }

    @Test void tcpOnLoopbackByDefaultWithTheRealPort() throws IOException {
        String a = m.listen("t", "tcp::0,server,nowait", false);
        assertTrue(a.matches("tcp:127\\.0\\.0\\.1:\\d+,server=on,wait=off"), a);
        try (RawQmp q = RawQmp.negotiated(RawQmp.tcp(m.port("t")))) {
            assertEquals("{\"return\": \"test-machine\"}", q.call("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine\",\"property\":\"type\"}}"));
            assertEquals(1, clients("t"));
        }
    }

    @Test void listenerCommandsAndErrors() {
        Path p = dir.resolve("a.sock");
        m.listen("a", "unix:" + p + ",server=on,wait=off", false);
        assertTrue(Files.exists(p));
        QomException e = assertThrows(QomException.class, () -> m.listen("a", "unix:" + dir.resolve("b.sock") + ",server=on,wait=off", false));
        assertEquals("Duplicate ID 'a' for QMP listener", e.getMessage());
        assertFalse(Files.exists(dir.resolve("b.sock")));
        e = assertThrows(QomException.class, () -> m.run("qmp-listener-del", "{\"id\":\"zz\"}"));
        assertEquals("QMP listener 'zz' not found", e.getMessage());
        e = assertThrows(QomException.class, () -> m.listen("c", "telnet::4444,server=on", false));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
        e = assertThrows(QomException.class, () -> m.listen("c", "unix:" + dir.resolve("c.sock") + ",server=maybe", false));
        assertEquals("Parameter 'server' expects 'on' or 'off'", e.getMessage());
        e = assertThrows(QomException.class, () -> m.listen("c", "unix:" + dir.resolve("c.sock") + ",bogus=1", false));
        assertEquals("Invalid parameter 'bogus'", e.getMessage());
        e = assertThrows(QomException.class, () -> m.listen("c", "unix:" + dir.resolve("nobody.sock"), false));
        assertTrue(e.getMessage().startsWith("Failed to connect to 'unix:"), e.getMessage());
        m.run("qmp-listener-del", "{\"id\":\"a\"}");
        assertFalse(Files.exists(p));
        assertEquals(0, m.run("query-qmp-listeners", null).size());
    }

    @Test void aStaleSocketIsReplacedButARegularFileIsNot() throws IOException {
        Path p = dir.resolve("stale.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(p));
        old.close();   // leaves the file behind, as a crashed process would
        assertTrue(Files.exists(p));
        m.listen("s", "unix:" + p + ",server=on,wait=off", false);
        try (RawQmp q = RawQmp.negotiated(RawQmp.unix(p))) {
            assertTrue(q.call("{\"execute\":\"query-status\"}").startsWith("{\"return\""));
        }
        Path f = dir.resolve("precious.txt");
        Files.writeString(f, "data");
        QomException e = assertThrows(QomException.class, () -> m.listen("f", "unix:" + f + ",server=on,wait=off", false));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("data", Files.readString(f));
    }

    @Test void theSocketFileAppearsOnlyOnceItAcceptsConnections() throws Exception {
        // a client that connects the moment the file exists (as test harnesses and QEMU's clients do) is never refused;
        // the window between bind and listen is widest in a fresh process, so this mostly guards the renaming itself
        for (int i = 0; i < 40; i++) {
            Path p = dir.resolve("race" + i + ".sock");
            java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread client = new Thread(() -> {
                while (!Files.exists(p)) Thread.onSpinWait();
                try (var ch = java.nio.channels.SocketChannel.open(UnixDomainSocketAddress.of(p))) {
                    outcome.set("connected");
                } catch (IOException e) {
                    outcome.set(e);
                }
            });
            client.start();
            m.listen("r" + i, "unix:" + p + ",server=on,wait=off", false);
            client.join(10_000);
            assertEquals("connected", outcome.get(), "attempt " + i);
            assertFalse(Files.list(dir).anyMatch(f -> f.getFileName().toString().contains(".binding-")), "no staging file left");
        }
    }

    @Test void waitOnBlocksUntilTheFirstClient() throws Exception {
        Path p = dir.resolve("w.sock");
        CompletableFuture<Void> added = CompletableFuture.runAsync(() -> m.listen("w", "unix:" + p + ",server=on,wait=on", false));
        eventually(() -> Files.exists(p), "the socket");
        Thread.sleep(100);
        assertFalse(added.isDone());
        try (RawQmp q = RawQmp.unix(p)) {
            assertTrue(q.line().startsWith("{\"QMP\""));
            added.get(10, TimeUnit.SECONDS);
        }
    }

    @Test void serverOffConnectsOutToAListeningClient() throws Exception {
        Path p = dir.resolve("client.sock");
        try (ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ss.bind(UnixDomainSocketAddress.of(p));
            m.listen("out", "unix:" + p + ",server=off", false);
            try (SocketChannel ch = ss.accept(); InputStream in = java.nio.channels.Channels.newInputStream(ch);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                assertTrue(r.readLine().startsWith("{\"QMP\""));
                out.write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\",\"id\":1}\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("{\"return\": {}}", r.readLine().strip());
                assertTrue(r.readLine().strip().endsWith("\"id\": 1}"));
                assertEquals(1, clients("out"));
            }
            eventually(() -> clients("out") == 0, "the session to end");
        }
    }

    @Test void deletingTheListenerClosesItsClientsAndASessionMayDeleteItsOwn() throws Exception {
        Path p = dir.resolve("d.sock");
        m.listen("d", "unix:" + p + ",server=on,wait=off", false);
        try (RawQmp a = RawQmp.negotiated(RawQmp.unix(p)); RawQmp b = RawQmp.negotiated(RawQmp.unix(p))) {
            eventually(() -> clients("d") == 2, "two clients");
            assertEquals("{\"return\": {}, \"id\": \"bye\"}", a.call("{\"execute\":\"qmp-listener-del\",\"arguments\":{\"id\":\"d\"},\"id\":\"bye\"}"));
            assertTrue(a.closedByServer());
            assertTrue(b.closedByServer());
        }
        assertFalse(Files.exists(p));
    }

    @Test void stoppingTheBundleClosesEverythingAndRemovesSocketFiles() throws Exception {
        Path p1 = dir.resolve("1.sock");
        Path p2 = dir.resolve("2.sock");
        m.listen("1", "unix:" + p1 + ",server=on,wait=off", false);
        m.listen("2", "unix:" + p2 + ",server=on,wait=off", true);
        m.listen("3", "tcp::0,server=on,wait=off", false);
        try (RawQmp a = RawQmp.negotiated(RawQmp.unix(p1))) {
            m.qmp.close();   // what @Deactivate does
            assertTrue(a.closedByServer());
        }
        assertFalse(Files.exists(p1));
        assertFalse(Files.exists(p2));
        eventually(() -> m.qmp.liveThreads() == 0, "every server thread to end");
    }

    @Test void destroyingTheMachineClosesItsListeners() throws Exception {
        Path p = dir.resolve("m.sock");
        m.listen("m", "unix:" + p + ",server=on,wait=off", false);
        try (RawQmp a = RawQmp.negotiated(RawQmp.unix(p))) {
            m.tree.dispose();
            assertTrue(a.closedByServer());
        }
        assertFalse(Files.exists(p));
        eventually(() -> m.qmp.liveThreads() == 0, "every server thread to end");
    }

    @Test void aClientThatLeavesMidCommandCostsNothing() throws Exception {
        Path p = dir.resolve("mid.sock");
        m.listen("mid", "unix:" + p + ",server=on,wait=off", false);
        int before = m.machine.slowCompleted.get();
        for (int i = 0; i < 20; i++) {
            RawQmp q = RawQmp.negotiated(RawQmp.unix(p));
            q.send("{\"execute\":\"x-test-sleep\",\"arguments\":{\"ms\":30}}\n{\"execute\":\"stop\"}\n");
            q.close();
        }
        eventually(() -> m.machine.slowCompleted.get() == before + 20, "the commands to complete");
        eventually(() -> clients("mid") == 0, "the sessions to go");
        eventually(() -> m.qmp.liveThreads() == 1, "only the accept loop to remain");
        try (RawQmp q = RawQmp.negotiated(RawQmp.unix(p))) {
            assertTrue(q.call("{\"execute\":\"query-status\"}").startsWith("{\"return\""));
        }
    }

    @Test void fiveHundredConnectionsLeaveNoThreadBehind() throws Exception {
        Path p = dir.resolve("leak.sock");
        m.listen("leak", "unix:" + p + ",server=on,wait=off", false);
        for (int i = 0; i < 20; i++) RawQmp.negotiated(RawQmp.unix(p)).close();   // warm up carriers and pollers
        eventually(() -> m.qmp.liveThreads() == 1, "warm-up sessions to end");
        Thread.sleep(200);
        int platformBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<Thread> seen = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            RawQmp q = RawQmp.unix(p);
            if (i % 2 == 0) q.line();       // half read the greeting, half vanish at once
            if (i % 5 == 0) q.send("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n{garbage");
            q.close();
            if (i % 100 == 0) seen.addAll(m.qmp.server().threads().live());
        }
        eventually(() -> m.qmp.liveThreads() == 1, "all 500 sessions to end");
        eventually(() -> clients("leak") == 0, "no client left");
        for (Thread t : seen) if (!t.getName().startsWith("qmp-listener")) t.join(10_000);
        for (Thread t : seen) if (!t.getName().startsWith("qmp-listener")) assertFalse(t.isAlive(), t.getName());
        eventually(() -> ManagementFactory.getThreadMXBean().getThreadCount() <= platformBefore + 2, "platform threads back to baseline");
    }

    @Test void manyClientsAtOnceAndOnesGarbageHurtsNoOther() throws Exception {
        Path p = dir.resolve("many.sock");
        m.listen("many", "unix:" + p + ",server=on,wait=off", false);
        int port = m.port("t2".equals("x") ? "" : listenTcp());
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 32; c++) {
                int me = c;
                fs.add(pool.submit(() -> {
                    try (RawQmp q = RawQmp.negotiated(me % 2 == 0 ? RawQmp.unix(p) : RawQmp.tcp(port))) {
                        for (int i = 0; i < 100; i++) {
                            if (me % 4 == 3 && i % 10 == 0) {
                                q.send("{\"execute\": [}\n");   // this client is a vandal
                                assertTrue(q.reply().contains("GenericError"));
                            }
                            String r = q.call("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/uart0\",\"property\":\"type\"},\"id\":[" + me + "," + i + "]}");
                            assertEquals("{\"return\": \"test-uart\", \"id\": [" + me + ", " + i + "]}", r);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    private String listenTcp() {
        m.listen("t2", "tcp:127.0.0.1:0,server=on,wait=off", false);
        return "t2";
    }

    @Test void socatIsAClientToo() throws Exception {
        Path p = dir.resolve("socat.sock");
        m.listen("s", "unix:" + p + ",server=on,wait=off", false);
        Process proc = new ProcessBuilder("socat", "-", "UNIX-CONNECT:" + p).redirectErrorStream(true).start();
        try (OutputStream in = proc.getOutputStream()) {
            in.write(("{\"execute\":\"qmp_capabilities\"}\n"
                    + "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine\",\"property\":\"type\"},\"id\":1}\n"
                    + "{\"execute\": \"query-status\" xx}\n"
                    + "[1]\n"
                    + "{\"execute\":\"nope\",\"id\":2}\n"
                    + "{\"execute\":\"query-status\",\"id\":3}\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            Thread.sleep(500);
        }
        assertTrue(proc.waitFor(10, TimeUnit.SECONDS));
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String[] lines = out.split("\r\n");
        assertTrue(lines[0].startsWith("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}"), out);
        assertEquals("{\"return\": {}}", lines[1]);
        assertEquals("{\"return\": \"test-machine\", \"id\": 1}", lines[2]);
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expected separator in dict\"}}", lines[3]);
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON object\"}}", lines[4]);
        assertEquals("{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}", lines[5]);
        assertTrue(lines[6].endsWith("\"id\": 3}"), out);
    }
}
