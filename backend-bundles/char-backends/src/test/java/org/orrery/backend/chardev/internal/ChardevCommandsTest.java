package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.backend.CharBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.*;

class ChardevCommandsTest {
    private final TestMachine m = ChardevTestSupport.machine();

    @AfterEach void close() {
        m.close();
        TestFrontEnd.await("chardev threads to end", () -> ChardevTestSupport.chardevThreads().isEmpty());
    }

    private CharBackend chardev(String id) { return (CharBackend) m.call(() -> m.tree.resolve("/chardevs/" + id)); }

    private String error(String cmd, String args) {
        return assertThrows(QomException.class, () -> m.qmp(cmd, args)).getMessage();
    }

    @Test void nullChardevSwallowsOutput() {
        m.qmp("chardev-add", "{\"id\":\"n\",\"backend\":{\"type\":\"null\",\"data\":{}}}");
        assertEquals(5, TestFrontEnd.write(m, chardev("n"), "hello"));
        JsonNode q = m.qmp("query-chardev", null);
        assertEquals("n", q.get(0).get("label").asText());
        assertEquals("null", q.get(0).get("filename").asText());
        assertFalse(q.get(0).get("frontend-open").asBoolean());
    }

    @Test void ringbufRoundTripInUtf8AndBase64() {
        m.qmp("chardev-add", "{\"id\":\"rb\",\"backend\":{\"type\":\"ringbuf\",\"data\":{\"size\":1024}}}");
        m.qmp("ringbuf-write", "{\"device\":\"rb\",\"data\":\"hello orrery\",\"format\":\"utf8\"}");
        assertEquals("hello orrery", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":100,\"format\":\"utf8\"}").asText());
        assertEquals("", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":100}").asText());
        byte[] bin = {0, 1, (byte) 0xff, 10};
        m.qmp("ringbuf-write", "{\"device\":\"rb\",\"data\":\"" + Base64.getEncoder().encodeToString(bin) + "\",\"format\":\"base64\"}");
        assertEquals("AAE=", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":2,\"format\":\"base64\"}").asText());
        assertEquals("/wo=", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":10,\"format\":\"base64\"}").asText());
        // device output lands in the ring too
        TestFrontEnd.write(m, chardev("rb"), "from the guest");
        assertEquals("from the guest", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":100}").asText());
        assertEquals("ringbuf", m.qmp("query-chardev", null).get(0).get("filename").asText());
    }

    @Test void ringbufKeepsTheNewestBytesWhenFull() {
        m.text("x-chardev-add-opts", "{\"id\":\"rb\",\"backend\":\"ringbuf\",\"size\":\"16\"}");
        TestFrontEnd.write(m, chardev("rb"), "0123456789abcdefXYZ");
        assertEquals("3456789abcdefXYZ", m.qmp("ringbuf-read", "{\"device\":\"rb\",\"size\":100}").asText());
    }

    @Test void ringbufErrors() {
        assertTrue(error("chardev-add", "{\"id\":\"rb\",\"backend\":{\"type\":\"ringbuf\",\"data\":{\"size\":1000}}}").contains("power of two"));
        assertNull(m.call(() -> m.tree.resolve("/chardevs/rb")), "nothing left behind");
        m.qmp("chardev-add", "{\"id\":\"n\",\"backend\":{\"type\":\"null\",\"data\":{}}}");
        assertEquals("n is not a ringbuf device", error("ringbuf-read", "{\"device\":\"n\",\"size\":1}"));
        assertTrue(error("ringbuf-read", "{\"device\":\"nope\",\"size\":1}").contains("not found"));
        m.qmp("chardev-add", "{\"id\":\"rb\",\"backend\":{\"type\":\"memory\",\"data\":{}}}");
        assertEquals("size must be greater than zero", error("ringbuf-read", "{\"device\":\"rb\",\"size\":0}"));
        assertTrue(error("ringbuf-write", "{\"device\":\"rb\",\"data\":\"%%%\",\"format\":\"base64\"}").contains("base64"));
    }

    @Test void idInUseIsAClearError() {
        m.qmp("chardev-add", "{\"id\":\"c0\",\"backend\":{\"type\":\"null\",\"data\":{}}}");
        assertEquals("Chardev 'c0' already exists", error("chardev-add", "{\"id\":\"c0\",\"backend\":{\"type\":\"ringbuf\",\"data\":{}}}"));
        assertTrue(error("chardev-add", "{\"id\":\"0bad\",\"backend\":{\"type\":\"null\",\"data\":{}}}").contains("identifier"));
    }

    @Test void malformedBackendDataIsPrecise() {
        assertEquals("Parameter 'backend.data.bogus' is unexpected",
                error("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"/tmp/x\",\"bogus\":1}}}"));
        assertEquals("Parameter 'backend.data.out' is missing", error("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{}}}"));
        assertEquals("Parameter 'backend.data.addr' is missing", error("chardev-add", "{\"id\":\"s\",\"backend\":{\"type\":\"socket\",\"data\":{}}}"));
        assertTrue(error("chardev-add", "{\"id\":\"s\",\"backend\":{\"type\":\"udp\",\"data\":{}}}").contains("udp"));
        assertEquals("Invalid parameter 'bogus' for chardev backend 'null'", assertThrows(QomException.class,
                () -> m.text("x-chardev-add-opts", "{\"id\":\"n\",\"backend\":\"null\",\"bogus\":\"1\"}")).getMessage());
        assertEquals("'nosuch' is not a valid char driver name", assertThrows(QomException.class,
                () -> m.text("x-chardev-add-opts", "{\"id\":\"n\",\"backend\":\"nosuch\"}")).getMessage());
    }

    @Test void fileChardevWritesTruncatesAndAppends(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("out.txt");
        Files.writeString(f, "old contents");
        m.qmp("chardev-add", "{\"id\":\"f1\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"" + f + "\"}}}");
        assertEquals("", Files.readString(f), "truncated");
        assertEquals(6, TestFrontEnd.write(m, chardev("f1"), "hello\n"));
        assertEquals("file", m.qmp("query-chardev", null).get(0).get("filename").asText());
        m.qmp("chardev-remove", "{\"id\":\"f1\"}");
        assertEquals("hello\n", Files.readString(f), "queued output is written before the file closes");
        m.text("x-chardev-add-opts", "{\"id\":\"f2\",\"backend\":\"file\",\"path\":\"" + f + "\",\"append\":\"on\",\"logfile\":\"" + dir.resolve("log") + "\"}");
        TestFrontEnd.write(m, chardev("f2"), "more\n");
        m.qmp("chardev-remove", "{\"id\":\"f2\"}");
        assertEquals("hello\nmore\n", Files.readString(f));
        assertEquals("more\n", Files.readString(dir.resolve("log")));
    }

    @Test void fileChardevReadsInput(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "typed input");
        m.qmp("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"" + dir.resolve("o") + "\",\"in\":\"" + in + "\"}}}");
        TestFrontEnd fe = new TestFrontEnd();
        m.call(() -> { chardev("f").attach(fe); return null; });
        TestFrontEnd.await("input", () -> fe.text().equals("typed input"));
    }

    @Test void unusableFilePathIsAClearError(@TempDir Path dir) throws Exception {
        assertEquals("Could not open '" + dir.resolve("no/such/f") + "': No such file or directory",
                error("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"" + dir.resolve("no/such/f") + "\"}}}"));
        String e = error("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"" + dir + "\"}}}");
        assertTrue(e.startsWith("Could not open '" + dir + "': ") && e.contains("directory"), e);
        Path locked = dir.resolve("locked");
        Files.createDirectory(locked);
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        if (!"root".equals(System.getProperty("user.name"))) {
            assertEquals("Could not open '" + locked.resolve("f") + "': Permission denied",
                    error("chardev-add", "{\"id\":\"f\",\"backend\":{\"type\":\"file\",\"data\":{\"out\":\"" + locked.resolve("f") + "\"}}}"));
        }
        assertNull(m.call(() -> m.tree.resolve("/chardevs/f")));
    }

    @Test void removalIsRefusedWhileADeviceLinksOrAFrontEndIsAttached() {
        Property<QObject> link = Property.of("chardev", PropertyTypes.link("chardev", QObject.class, "/chardevs"));
        TypeDescription dev = TypeDescription.named("test-uart").property(link).creates(QObject::new);
        m.registry.add(dev, dev, "test");
        m.qmp("chardev-add", "{\"id\":\"ser0\",\"backend\":{\"type\":\"ringbuf\",\"data\":{}}}");
        m.qmp("chardev-add", "{\"id\":\"mon0\",\"backend\":{\"type\":\"null\",\"data\":{}}}");
        m.call(() -> {
            QObject uart = m.tree.createChild(m.tree.container("/machine"), "uart", "test-uart");
            uart.setProperty("chardev", Value.ofText("chardev", "ser0"));
            return null;
        });
        String e = error("chardev-remove", "{\"id\":\"ser0\"}");
        assertTrue(e.startsWith("Chardev 'ser0' is busy") && e.contains("/machine/uart.chardev"), e);
        TestFrontEnd monitor = new TestFrontEnd();
        m.call(() -> { chardev("mon0").attach(monitor); return null; });
        assertTrue(m.qmp("query-chardev", null).get(1).get("frontend-open").asBoolean());
        assertTrue(error("chardev-remove", "{\"id\":\"mon0\"}").contains("busy"));
        assertTrue(assertThrows(QomException.class, () -> m.call(() -> { chardev("mon0").attach(new TestFrontEnd()); return null; }))
                .getMessage().contains("busy"));
        m.call(() -> { chardev("mon0").detach(monitor); return null; });
        assertEquals(0, m.qmp("chardev-remove", "{\"id\":\"mon0\"}").size());
        assertTrue(error("chardev-remove", "{\"id\":\"mon0\"}").contains("not found"));
    }

    @Test void legacySyntax(@TempDir Path dir) throws Exception {
        JsonNode r = m.qmp("x-chardev-add-legacy", "{\"id\":\"serial0\",\"filename\":\"file:" + dir.resolve("s.log") + "\"}");
        assertFalse(r.get("monitor").asBoolean());
        JsonNode r2 = m.qmp("x-chardev-add-legacy", "{\"id\":\"serial1\",\"filename\":\"mon:unix:" + dir.resolve("s.sock") + ",server=on,wait=off\"}");
        assertTrue(r2.get("monitor").asBoolean());
        JsonNode q = m.qmp("query-chardev", null);
        assertEquals("[serial0, serial1-base, serial1]", names(q));
        assertEquals("disconnected:unix:" + dir.resolve("s.sock") + ",server=on", q.get(1).get("filename").asText());
        assertEquals("mux", q.get(2).get("filename").asText());
        m.qmp("x-chardev-add-legacy", "{\"id\":\"serial2\",\"filename\":\"tcp:127.0.0.1:0,server=on,wait=off\"}");
        assertTrue(m.qmp("query-chardev", null).get(3).get("filename").asText().startsWith("disconnected:tcp:127.0.0.1:"));
        assertThrows(QomException.class, () -> m.qmp("x-chardev-add-legacy", "{\"id\":\"serial3\",\"filename\":\"bogus:x\"}"));
    }

    private static String names(JsonNode q) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode c : q) out.add(c.get("label").asText());
        return out.toString();
    }

    @Test void bundleStopRemovesInstancesAndTheirThreads(@TempDir Path dir) {
        var providers = ChardevTestSupport.providers();
        var socketType = providers[4];
        assertInstanceOf(ChardevTypes.Socket.class, socketType);
        TestMachine m2 = new TestMachine(providers).module(new ChardevCommands());
        try {
            m2.text("x-chardev-add-opts", "{\"id\":\"s\",\"backend\":\"socket\",\"path\":\"" + dir.resolve("b.sock") + "\",\"server\":\"on\",\"wait\":\"off\"}");
            assertTrue(Files.exists(dir.resolve("b.sock")));
            assertFalse(ChardevTestSupport.chardevThreads().isEmpty());
            m2.registry.remove(socketType); // the bundle's TypeProvider goes away
            assertNull(m2.call(() -> m2.tree.resolve("/chardevs/s")));
            TestFrontEnd.await("threads to end", () -> ChardevTestSupport.chardevThreads().isEmpty());
            assertFalse(Files.exists(dir.resolve("b.sock")), "the socket file is removed");
        } finally {
            m2.close();
        }
    }

    @Test void queryBackendsListsInstalledKinds() {
        String s = m.qmp("query-chardev-backends", null).toString();
        for (String k : new String[] {"null", "stdio", "file", "socket", "pty", "ringbuf", "mux"}) assertTrue(s.contains("\"" + k + "\""), s);
    }
}
