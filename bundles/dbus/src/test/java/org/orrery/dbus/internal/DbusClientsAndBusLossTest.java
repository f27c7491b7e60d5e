package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Java client (dbus-java's typed API), a slow call beside fast ones, and a bus that goes away and comes back. */
class DbusClientsAndBusLossTest {
    static final String NAME = "org.orrery.Java";

    @Test
    void javaClientCallsCommandsGetsErrorsAndSignals() throws Exception {
        try (DbusDaemon bus = DbusDaemon.start(); TestPlatform p = new TestPlatform()) {
            p.qmp("dbus-add", "id", "j", "name", NAME, "addr", bus.address);
            p.qmp("device_add", "driver", "test-device", "id", "d1");
            try (DBusConnection c = DBusConnectionBuilder.forAddress(bus.address).withShared(false).build()) {
                Machine1 m = c.getRemoteObject(NAME, "/org/orrery/Machine", Machine1.class);
                assertEquals("test-machine", m.QomGet("/machine", "type").getValue());
                assertEquals("preconfig", m.QueryStatus().get("status").getValue());
                DBusExecutionException e = assertThrows(DBusExecutionException.class, () -> m.QomGet("/nowhere", "type"));
                assertEquals("Device '/nowhere' not found", e.getMessage());

                BlockingQueue<Properties.PropertiesChanged> changes = new ArrayBlockingQueue<>(10);
                c.addSigHandler(Properties.PropertiesChanged.class, changes::add);
                m.QomSet("/machine/peripheral/d1", "label", new Variant<>("java"));
                Properties.PropertiesChanged s = changes.poll(5, TimeUnit.SECONDS);
                assertNotNull(s);
                assertEquals("/org/orrery/objects/machine/peripheral/d1", s.getPath());
                assertEquals(Map.of("Label", new Variant<>("java")), s.getPropertiesChanged());

                Properties props = c.getRemoteObject(NAME, "/org/orrery/objects/machine/peripheral/d1", Properties.class);
                assertEquals("java", props.Get(Names.OBJECT_IFACE, "Label"));
                assertEquals(3L, ((Number) props.GetAll(Names.OBJECT_IFACE).get("Count").getValue()).longValue() + 2);
            }
        }
    }

    @Test
    void aSlowCallHoldsNeitherTheBusNorTheMachine() throws Exception {
        try (DbusDaemon bus = DbusDaemon.start(); TestPlatform p = new TestPlatform()) {
            p.qmp("dbus-add", "id", "j", "name", NAME, "addr", bus.address);
            CompletableFuture<DbusDaemon.Result> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return bus.run(20, "gdbus", "call", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "-m", "org.orrery.Machine1.TestSleep", "1500");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300);
            long t = System.nanoTime();
            DbusDaemon.Result r = bus.run(20, "gdbus", "call", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "-m", "org.orrery.Machine1.QomGet", "/machine", "type");
            assertEquals("(<'test-machine'>,)", r.out().strip(), r.all());
            assertEquals(1, (int) p.machine.call(() -> 1));
            assertTrue(System.nanoTime() - t < 1_000_000_000L, "a fast call waited for the slow one");
            assertFalse(slow.isDone());
            assertEquals("('slept',)", slow.get(10, TimeUnit.SECONDS).out().strip());
        }
    }

    @Test
    void theMachineOutlivesTheBusAndTheFrontEndReconnects(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("bus");
        try (TestPlatform p = new TestPlatform()) {
            DbusDaemon bus = DbusDaemon.start(socket);
            try {
                p.qmp("dbus-add", "id", "r", "name", NAME, "addr", bus.address);
                assertTrue(status(p).path("connected").asBoolean());
                bus.close();
                waitFor(() -> !status(p).path("connected").asBoolean(), 5000);
                // the machine and the other front-ends go on
                assertEquals("preconfig", p.qmp("query-status").path("status").asText());
                bus = DbusDaemon.start(socket);
                DbusDaemon restarted = bus;
                waitFor(() -> status(p).path("connected").asBoolean(), 15_000);
                DbusDaemon.Result r = restarted.run(20, "gdbus", "call", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "-m", "org.orrery.Machine1.QomGet", "/machine", "type");
                assertEquals("(<'test-machine'>,)", r.out().strip(), r.all());
                p.qmp("dbus-del", "id", "r");
                assertEquals(0, p.qmp("query-dbus").size());
                r = restarted.run(20, "gdbus", "call", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "-m", "org.orrery.Machine1.QomGet", "/machine", "type");
                assertTrue(r.err().contains("ServiceUnknown") || r.err().contains("NameHasNoOwner"), r.all());
            } finally {
                bus.close();
            }
        }
    }

    private static ObjectNode status(TestPlatform p) { return (ObjectNode) p.qmp("query-dbus").get(0); }

    private static void waitFor(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("condition not met in " + millis + " ms");
            Thread.sleep(50);
        }
    }
}
