package org.orrery.qmp.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.orrery.command.AbstractCommandModule;
import org.orrery.qmp.client.inprocess.InProcessTransport;
import org.orrery.qmp.client.types.ObjectTypeInfo;
import org.orrery.qmp.client.types.QmpListenerInfo;
import org.orrery.qmp.client.types.RunState;
import org.orrery.qmp.client.types.StatusInfo;
import org.orrery.qmp.client.types.VersionInfo;
import org.orrery.qmp.server.internal.TestMachine;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same scenarios over every transport: a real unix socket, a real TCP socket (both served by the QMP
 * server on a test machine) and the in-process transport straight to the command layer.
 */
class QmpClientTest {
    @TempDir Path dir;
    TestMachine m;
    final List<QmpClient> clients = new ArrayList<>();

    @BeforeEach void start() {
        m = new TestMachine();
        m.listen("unix", "unix:" + dir.resolve("q.sock") + ",server=on,wait=off", false);
        m.listen("tcp", "tcp::0,server=on,wait=off", false);
        m.listen("pretty", "unix:" + dir.resolve("p.sock") + ",server=on,wait=off", true);
    }

    @AfterEach void stop() {
        for (QmpClient c : clients) c.close();
        m.close();
    }

    private QmpClient open(String transport) throws IOException {
        QmpClient c = switch (transport) {
            case "unix" -> QmpClient.connectUnix(dir.resolve("q.sock"));
            case "pretty" -> QmpClient.connect("unix:" + dir.resolve("p.sock"));
            case "tcp" -> QmpClient.connectTcp("127.0.0.1", m.port("tcp"));
            case "inprocess" -> QmpClient.connect(new InProcessTransport(m.layer, m.tree));
            default -> throw new IllegalArgumentException(transport);
        };
        clients.add(c);
        return c;
    }

    private static ObjectNode args(String k1, String v1, String k2, String v2) {
        return JsonNodeFactory.instance.objectNode().put(k1, v1).put(k2, v2);
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "pretty", "inprocess"})
    void greetingAndGenericCalls(String t) throws IOException {
        QmpClient c = open(t);
        assertEquals(7, c.version().path("qemu").path("major").asInt());
        assertEquals("test-machine", c.call("qom-get", args("path", "/machine", "property", "type")).asText());
        assertEquals(115200, c.call("qom-get", args("path", "/machine/uart0", "property", "baud")).asInt());
        QmpException e = assertThrows(QmpException.class, () -> c.call("no-such-command"));
        assertEquals("CommandNotFound", e.errorClass());
        assertEquals("The command no-such-command has not been found", e.desc());
        e = assertThrows(QmpException.class, () -> c.call("qom-list"));
        assertEquals("GenericError", e.errorClass());
        assertEquals("Parameter 'path' is missing", e.desc());
        e = assertThrows(QmpException.class, () -> c.call("qom-list", JsonNodeFactory.instance.objectNode().put("path", 42)));
        assertEquals("Invalid parameter type for 'path', expected: string", e.desc());
        e = assertThrows(QmpException.class, () -> c.call("qom-list", args("path", "/machine", "bogus", "1")));
        assertEquals("Parameter 'bogus' is unexpected", e.desc());
        e = assertThrows(QmpException.class, () -> c.call("qom-get", args("path", "/nope", "property", "type")));
        assertEquals("DeviceNotFound", e.errorClass());
        e = assertThrows(QmpException.class, () -> c.call("qmp_capabilities"));
        assertEquals("CommandNotFound", e.errorClass());
        assertEquals("Capabilities negotiation is already complete, command ignored", e.desc());
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void typedCalls(String t) throws IOException {
        QmpCommands q = open(t).commands();
        VersionInfo v = q.queryVersion();
        assertEquals(7, v.qemu().major());
        assertEquals(2, v.qemu().minor());
        assertTrue(v.package_().contains("Orrery"), v.package_());
        StatusInfo s = q.queryStatus();
        assertEquals(RunState.PRELAUNCH, s.status());
        assertFalse(s.running());
        assertEquals("test-machine", q.qomGet("/machine", "type").asText());
        assertTrue(q.qomList("/machine").stream().anyMatch(p -> p.name().equals("uart0") && p.type().equals("child<test-uart>")));
        List<ObjectTypeInfo> types = q.qomListTypes(null, true);
        assertTrue(types.stream().anyMatch(ti -> ti.name().equals("machine") && Boolean.TRUE.equals(ti.abstract_())));
        assertTrue(q.qomListTypes("device", null).stream().anyMatch(ti -> ti.name().equals("test-uart")));
        q.qomSet("/machine/uart0", "baud", JsonNodeFactory.instance.numberNode(9600));
        assertEquals(9600, q.qomGet("/machine/uart0", "baud").asInt());
        assertTrue(q.queryCommands().stream().anyMatch(ci -> ci.name().equals("qmp-listener-add")));
        List<QmpListenerInfo> ls = q.queryQmpListeners();
        assertEquals(3, ls.size());
        assertTrue(ls.stream().anyMatch(l -> l.id().equals("tcp") && l.address().startsWith("tcp:127.0.0.1:") && l.server()));
        QmpException e = assertThrows(QmpException.class, () -> q.qomGet("/machine", "nope"));
        assertEquals("Property 'test-machine.nope' not found", e.desc());
        assertEquals(RunState.PRELAUNCH, q.queryStatusAsync().join().status());
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void asynchronousCallsAreMatchedToTheirReplies(String t) throws Exception {
        QmpClient c = open(t);
        List<CompletableFuture<JsonNode>> fs = new ArrayList<>();
        for (int i = 0; i < 300; i++)
            fs.add(c.callAsync("qom-get", args("path", i % 2 == 0 ? "/machine" : "/machine/uart0", "property", "type")));
        CompletableFuture<JsonNode> bad = c.callAsync("qom-get", args("path", "/nope", "property", "type"));
        for (int i = 0; i < fs.size(); i++)
            assertEquals(i % 2 == 0 ? "test-machine" : "test-uart", fs.get(i).get(10, TimeUnit.SECONDS).asText());
        Exception e = assertThrows(Exception.class, () -> bad.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QmpException q && q.errorClass().equals("DeviceNotFound"));
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void manyThreadsShareOneSession(String t) throws Exception {
        QmpClient c = open(t);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int th = 0; th < 8; th++) {
                int me = th;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        String path = (me + i) % 2 == 0 ? "/machine" : "/machine/uart0";
                        String want = (me + i) % 2 == 0 ? "test-machine" : "test-uart";
                        assertEquals(want, c.commands().qomGet(path, "type").asText());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "pretty", "inprocess"})
    void eventsReachSubscribersInOrder(String t) throws Exception {
        QmpClient c = open(t);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (QmpClient.Subscription s = c.subscribe(e -> seen.add(e.name()));
             QmpClient.Subscription onlyStop = c.subscribe("STOP", e -> seen.add("only:" + e.name()));
             QmpClient.EventQueue q = c.eventQueue()) {
            c.commands().cont();
            c.commands().stop();
            QmpEvent resume = q.await("RESUME", Duration.ofSeconds(10));
            assertNotNull(resume);
            assertTrue(resume.seconds() > 1_600_000_000L);
            assertTrue(resume.data().isEmpty());
            assertNotNull(q.await("STOP", Duration.ofSeconds(10)));
            c.call("x-test-emit", JsonNodeFactory.instance.objectNode().put("event", "DEVICE_DELETED")
                    .set("data", JsonNodeFactory.instance.objectNode().put("path", "/machine/peripheral/d0")));
            QmpEvent dd = q.await("DEVICE_DELETED", Duration.ofSeconds(10));
            assertEquals("/machine/peripheral/d0", dd.data().path("path").asText());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.size() < 4 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(List.of("RESUME", "STOP", "only:STOP", "DEVICE_DELETED"), seen.subList(0, 4));
        }
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void aSubscriberMayCallCommands(String t) throws Exception {
        QmpClient c = open(t);
        CompletableFuture<String> got = new CompletableFuture<>();
        try (QmpClient.Subscription s = c.subscribe("RESUME", e -> got.complete(c.commands().queryStatus().status().wireName()))) {
            c.commands().cont();
            assertEquals("running", got.get(10, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void theSchemaFollowsModulesComingAndGoing(String t) throws IOException {
        QmpClient c = open(t);
        Extra extra = new Extra();
        assertFalse(names(c).contains("x-extra"));
        m.layer.add(extra, extra, "test-extra");
        assertTrue(names(c).contains("x-extra"));
        assertEquals("hi", c.call("x-extra").asText());
        assertTrue(schemaNames(c).contains("x-extra"));
        assertTrue(schemaNames(c).contains("X_EXTRA_HAPPENED"));
        m.layer.remove(extra);
        assertFalse(names(c).contains("x-extra"));
        assertFalse(schemaNames(c).contains("x-extra"));
        assertFalse(schemaNames(c).contains("X_EXTRA_HAPPENED"));
        assertEquals("CommandNotFound", assertThrows(QmpException.class, () -> c.call("x-extra")).errorClass());
    }

    private static List<String> names(QmpClient c) {
        return c.commands().queryCommands().stream().map(ci -> ci.name()).toList();
    }

    private static List<String> schemaNames(QmpClient c) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : c.call("query-qmp-schema")) out.add(n.path("name").asText());
        return out;
    }

    public static final class Extra extends AbstractCommandModule {
        public Extra() {
            super("extra.json");
            on("x-extra", (a, ctx) -> JsonNodeFactory.instance.textNode("hi"));
        }
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp", "inprocess"})
    void closingFailsWhatIsPendingAndRefusesMore(String t) throws Exception {
        QmpClient c = open(t);
        CompletableFuture<JsonNode> slow = c.callAsync("x-test-sleep", JsonNodeFactory.instance.objectNode().put("ms", 300));
        Thread.sleep(50);
        c.close();
        assertFalse(c.isOpen());
        if (!t.equals("inprocess")) {
            Exception e = assertThrows(Exception.class, () -> slow.get(10, TimeUnit.SECONDS));
            assertEquals(QmpException.DISCONNECTED, ((QmpException) e.getCause()).errorClass());
        }
        assertEquals(QmpException.DISCONNECTED, assertThrows(QmpException.class, () -> c.call("query-status")).errorClass());
    }

    @ParameterizedTest @ValueSource(strings = {"unix", "tcp"})
    void theServerClosingEndsTheSession(String t) throws Exception {
        QmpClient c = open(t);
        m.run("qmp-listener-del", "{\"id\":\"" + t + "\"}");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.isOpen() && System.nanoTime() < deadline) Thread.sleep(5);
        assertFalse(c.isOpen());
        assertEquals(QmpException.DISCONNECTED, assertThrows(QmpException.class, () -> c.call("query-status")).errorClass());
    }
}
