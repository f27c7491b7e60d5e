package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.Machine;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd.CharEvent;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class MuxAndPtyTest {
    private final TestMachine m = ChardevTestSupport.machine();

    @AfterEach void close() {
        m.close();
        TestFrontEnd.await("chardev threads to end", () -> ChardevTestSupport.chardevThreads().isEmpty());
    }

    private CharBackend chardev(String id) { return (CharBackend) m.call(() -> m.tree.resolve("/chardevs/" + id)); }

    private static Machine fakeMachine(AtomicInteger quitStatus) {
        return (Machine) Proxy.newProxyInstance(Machine.class.getClassLoader(), new Class<?>[] {Machine.class}, (p, method, args) -> {
            if (method.getName().equals("quit")) quitStatus.set((Integer) args[0]);
            return null;
        });
    }

    @Test void muxSwitchesFocusWithCtrlASequences(@TempDir Path dir) throws Exception {
        AtomicInteger quit = new AtomicInteger(-1);
        m.tree.attach(Machine.class, fakeMachine(quit));
        Path sock = dir.resolve("mux.sock");
        m.text("x-chardev-add-opts", "{\"id\":\"c\",\"backend\":\"socket\",\"path\":\"" + sock + "\",\"server\":\"on\",\"wait\":\"off\",\"mux\":\"on\"}");
        TestFrontEnd monitor = new TestFrontEnd();
        TestFrontEnd uart = new TestFrontEnd();
        m.call(() -> { chardev("c").attach(monitor); chardev("c").attach(uart); return null; });
        assertEquals(CharEvent.MUX_IN, uart.events.get(uart.events.size() - 1), "the newest front-end has the focus");
        assertTrue(monitor.events.contains(CharEvent.MUX_OUT));
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            TestFrontEnd.await("both opened", () -> uart.events.contains(CharEvent.OPENED) && monitor.events.contains(CharEvent.OPENED));
            c.write(ByteBuffer.wrap("ab\u0001cxy\u0001c\u0001\u0001z\u0001b".getBytes(StandardCharsets.ISO_8859_1)));
            TestFrontEnd.await("uart input", () -> uart.text().equals("ab\u0001z"));
            assertEquals("xy", monitor.text());
            TestFrontEnd.await("break", () -> uart.events.contains(CharEvent.BREAK));
            // both front-ends write to the one stream
            TestFrontEnd.write(m, chardev("c"), "from-uart ");
            c.write(ByteBuffer.wrap("\u0001h".getBytes(StandardCharsets.ISO_8859_1)));
            ByteBuffer got = ByteBuffer.allocate(4096);
            long end = System.currentTimeMillis() + 5000;
            while (!new String(got.array(), 0, got.position(), StandardCharsets.ISO_8859_1).contains("C-a C-a") && System.currentTimeMillis() < end) c.read(got);
            String out = new String(got.array(), 0, got.position(), StandardCharsets.ISO_8859_1);
            assertTrue(out.startsWith("from-uart "), out);
            assertTrue(out.contains("C-a c    switch between console and monitor\r\n"), out);
            c.write(ByteBuffer.wrap("\u0001x".getBytes(StandardCharsets.ISO_8859_1)));
            TestFrontEnd.await("quit", () -> quit.get() == 0);
        }
        JsonNode q = m.qmp("query-chardev", null);
        assertEquals("c-base", q.get(0).get("label").asText());
        assertEquals("mux", q.get(1).get("filename").asText());
        assertTrue(assertThrows(org.orrery.qom.QomException.class, () -> m.qmp("chardev-remove", "{\"id\":\"c-base\"}")).getMessage().contains("busy"));
    }

    @Test void muxRespectsTheFocusedFrontEndsWindow() {
        m.qmp("chardev-add", "{\"id\":\"rb\",\"backend\":{\"type\":\"ringbuf\",\"data\":{}}}");
        m.qmp("chardev-add", "{\"id\":\"mx\",\"backend\":{\"type\":\"mux\",\"data\":{\"chardev\":\"rb\"}}}");
        TestFrontEnd a = new TestFrontEnd();
        TestFrontEnd b = new TestFrontEnd();
        m.call(() -> { chardev("mx").attach(a); chardev("mx").attach(b); return null; });
        TestFrontEnd.write(m, chardev("mx"), "one ");
        TestFrontEnd.write(m, chardev("mx"), "two");
        assertEquals("one two", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":100}").asText());
        m.call(() -> { chardev("mx").detach(b); return null; });
        assertTrue(a.events.contains(CharEvent.MUX_IN), "focus falls back to the remaining front-end");
    }

    @Test void ptyRelaysBothWays() throws Exception {
        JsonNode r = m.qmp("chardev-add", "{\"id\":\"p\",\"backend\":{\"type\":\"pty\",\"data\":{}}}");
        String pty = r.get("pty").asText();
        assertTrue(pty.startsWith("/dev/pts/"), pty);
        assertEquals("pty:" + pty, m.qmp("query-chardev", null).get(0).get("filename").asText());
        TestFrontEnd fe = new TestFrontEnd();
        m.call(() -> { chardev("p").attach(fe); return null; });
        try (OutputStream toSlave = new FileOutputStream(pty); InputStream fromSlave = new FileInputStream(pty)) {
            toSlave.write("typed\r".getBytes(StandardCharsets.US_ASCII));
            toSlave.flush();
            TestFrontEnd.await("pty input", () -> fe.text().equals("typed\r"));
            TestFrontEnd.write(m, chardev("p"), "shown");
            byte[] buf = new byte[5];
            int got = 0;
            while (got < 5) got += fromSlave.read(buf, got, 5 - got);
            assertEquals("shown", new String(buf, StandardCharsets.US_ASCII));
        }
        m.call(() -> { chardev("p").detach(fe); return null; });
        m.qmp("chardev-remove", "{\"id\":\"p\"}");
        TestFrontEnd.await("pty gone", () -> !Files.exists(Path.of(pty)));
    }

    @Test void unwatchedPtyNeverStallsTheGuest() throws Exception {
        m.qmp("chardev-add", "{\"id\":\"p\",\"backend\":{\"type\":\"pty\",\"data\":{}}}");
        byte[] lots = new byte[1 << 16];
        long accepted = 0;
        long end = System.currentTimeMillis() + 4000;
        while (System.currentTimeMillis() < end && accepted < (4 << 20)) {
            accepted += m.call(() -> chardev("p").write(lots, 0, lots.length));
            Thread.sleep(5);
        }
        assertTrue(accepted >= (4 << 20), "output to a pty nobody reads is dropped after a while, accepted " + accepted);
    }

    /** The stdio chardev in a child process, with a mux like -serial mon:stdio: input echoed upper-cased, Ctrl-a x quits. */
    @Test void stdioInAChildProcess() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StdioMain.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            OutputStream in = p.getOutputStream();
            InputStream out = p.getInputStream();
            StringBuilder seen = new StringBuilder();
            readUntil(out, seen, "ready\n");
            in.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            readUntil(out, seen, "HELLO\n");
            in.write(new byte[] {1, 'x'});
            in.flush();
            readUntil(out, seen, "QEMU: Terminated");
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    private static void readUntil(InputStream in, StringBuilder seen, String marker) throws Exception {
        long end = System.currentTimeMillis() + 15_000;
        while (!seen.toString().contains(marker)) {
            if (System.currentTimeMillis() > end) fail("no '" + marker + "' in: " + seen);
            int c = in.read();
            if (c < 0) fail("child ended; saw: " + seen);
            seen.append((char) c);
        }
    }
}
