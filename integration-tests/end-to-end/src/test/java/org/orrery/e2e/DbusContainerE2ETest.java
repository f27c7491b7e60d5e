package org.orrery.e2e;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real running container on a private {@code dbus-daemon}: an object added and removed seen through
 * ObjectManager (also when its device bundle is uninstalled from the {@code -bundles} directory), a Java
 * client (dbus-java's typed API), and bad input from python3-dbus. Every wait is bounded by a deadline.
 */
@Tag("e2e")
class DbusContainerE2ETest {
    private static final String NAME = "org.orrery.ContainerEndToEnd";
    private static final String MACHINE = "/org/orrery/Machine";
    private static final String IFACE = "org.orrery.Machine1";
    private static final String EDU0 = "/org/orrery/objects/machine/peripheral/edu0";
    private static final Path EXAMPLE = Orrery.ROOT.resolve("examples/third-party-device");
    private static Path eduJar;

    /** The part of org.orrery.Machine1 the Java client calls, typed for dbus-java's high-level API. */
    @DBusInterfaceName("org.orrery.Machine1")
    public interface Machine1 extends DBusInterface {
        Map<String, Variant<?>> QueryStatus();

        Variant<?> QomGet(String path, String property);
    }

    @TempDir Path tmp;
    private Process daemon;
    private String address;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    /** Builds the third-party device example once for the class (offline, with the JDK running this test). */
    @BeforeAll static void buildExample(@TempDir Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("mvn", "-q", "-o", "-f", EXAMPLE.resolve("pom.xml").toString(), "package")
                .redirectErrorStream(true).redirectOutput(log.resolve("mvn.txt").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("building the example took more than 180 s");
        }
        assertEquals(0, p.exitValue(), () -> "building the example failed:\n" + read(log.resolve("mvn.txt")));
        try (Stream<Path> jars = Files.list(EXAMPLE.resolve("target"))) {
            eduJar = jars.filter(j -> j.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no jar in " + EXAMPLE.resolve("target")));
        }
    }

    @BeforeEach void privateBus() throws Exception {
        daemon = new ProcessBuilder("dbus-daemon", "--session", "--nofork", "--print-address=1").redirectErrorStream(true).start();
        address = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(address != null && address.startsWith("unix:"), "dbus-daemon printed no address");
    }

    /** Monitor, orrery, then the daemon: whatever the test started, in reverse order. */
    @AfterEach void stopEverything() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception ignored) {
                // keep closing the others
            }
        }
        daemon.destroy();
        if (!daemon.waitFor(10, TimeUnit.SECONDS)) daemon.destroyForcibly().waitFor();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static void awaitTrue(String what, Duration limit, Check check) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) throw new AssertionError("no " + what + " within " + limit);
            Thread.sleep(50);
        }
    }

    @FunctionalInterface private interface Check { boolean ok() throws Exception; }

    /** Runs a client on the private bus to completion, bounded; returns its output (stdout and stderr). */
    private String client(Duration limit, String... cmd) throws Exception {
        Path out = Files.createTempFile(tmp, "client", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", cmd) + " did not end within " + limit + ":\n" + read(out));
        }
        return read(out);
    }

    private String call(String path, String method, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", NAME, "--object-path", path, "--method", method));
        cmd.addAll(List.of(args));
        return client(Duration.ofSeconds(30), cmd.toArray(String[]::new));
    }

    private String introspectMachine() throws Exception {
        return client(Duration.ofSeconds(30), "gdbus", "introspect", "--session", "--dest", NAME, "--object-path", MACHINE, "--xml");
    }

    private String python(Duration limit, String... lines) throws Exception {
        return client(limit, "/usr/bin/python3", "-c", String.join("\n", lines));
    }

    /** ./orrery -S on the private bus, stopped after the test; returns once the name answers introspection. */
    private Orrery startWithBus(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S",
                "-dbus", "name=" + NAME + ",addr=" + address.replace(",", ",,")));   // a comma in an option value is doubled
        args.addAll(List.of(extra));
        Orrery o = Orrery.start(args);
        cleanup.add(o);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!client(Duration.ofSeconds(30), "gdbus", "introspect", "--session", "--dest", NAME, "--object-path", MACHINE).contains(IFACE)) {
            if (!o.process.isAlive()) throw new AssertionError("orrery exited: " + o.output());
            if (System.nanoTime() > deadline) throw new AssertionError("the name never appeared on the bus: " + o.output());
            Thread.sleep(100);
        }
        return o;
    }

    @Test void aDeviceBundleComesAndGoesThroughObjectManager() throws Exception {
        Path drop = Files.createDirectory(tmp.resolve("drop"));
        Orrery o = startWithBus("-bundles", drop.toString());
        assertFalse(introspectMachine().contains("EduQueryStats"), "the method exists before its bundle");

        Path monitorLog = tmp.resolve("monitor.txt");
        ProcessBuilder mb = new ProcessBuilder("gdbus", "monitor", "--session", "--dest", NAME).redirectErrorStream(true)
                .redirectOutput(monitorLog.toFile());
        mb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
        Process monitor = mb.start();
        cleanup.add(() -> {
            monitor.destroy();
            if (!monitor.waitFor(5, TimeUnit.SECONDS)) monitor.destroyForcibly().waitFor();
        });
        // gdbus monitor has subscribed once it has seen the name's owner
        awaitTrue("gdbus monitor ready", Duration.ofSeconds(10), () -> read(monitorLog).contains("is owned by"));

        // hot deploy: the command becomes a method
        Path deployed = drop.resolve(eduJar.getFileName());
        Files.copy(eduJar, deployed.resolveSibling(deployed.getFileName() + ".part"));
        Files.move(deployed.resolveSibling(deployed.getFileName() + ".part"), deployed, StandardCopyOption.ATOMIC_MOVE);
        awaitTrue("EduQueryStats in the introspection after deploying " + eduJar.getFileName(), Duration.ofSeconds(15),
                () -> introspectMachine().contains("<method name=\"EduQueryStats\">"));
        // the bundle's services come one by one (its command module first): wait for its device type as well
        awaitTrue("edu-mmio among the types", Duration.ofSeconds(15),
                () -> call(MACHINE, IFACE + ".QomListTypes", "{}").contains("'edu-mmio'"));

        String added = call(MACHINE, IFACE + ".DeviceAdd", "edu-mmio",
                "{'id': <'edu0'>, 'addr': <uint64 268500992>, 'irq': <uint32 20>}");   // 0x10010000, a free MMIO slot
        assertEquals("()", added.strip(), added + "\n" + o.output());
        awaitTrue("InterfacesAdded for edu0", Duration.ofSeconds(10),
                () -> read(monitorLog).lines().anyMatch(l -> l.contains("InterfacesAdded") && l.contains(EDU0)));
        String stats = call(MACHINE, IFACE + ".EduQueryStats", "{}");
        assertTrue(stats.contains("'edu0'"), stats);

        // uninstall: the instance goes, the object leaves the bus, the method goes
        Files.delete(deployed);
        awaitTrue("InterfacesRemoved for edu0", Duration.ofSeconds(15),
                () -> read(monitorLog).lines().anyMatch(l -> l.contains("InterfacesRemoved") && l.contains(EDU0)));
        awaitTrue("DeviceDeleted for edu0", Duration.ofSeconds(10),
                () -> read(monitorLog).lines().anyMatch(l -> l.contains(IFACE + ".DeviceDeleted") && l.contains("edu0")));
        awaitTrue("EduQueryStats gone from the introspection", Duration.ofSeconds(15),
                () -> !introspectMachine().contains("EduQueryStats"));
        String managed = call("/org/orrery/objects", "org.freedesktop.DBus.ObjectManager.GetManagedObjects");
        assertTrue(managed.contains("/org/orrery/objects/machine") && !managed.contains(EDU0), managed);
        assertTrue(call(MACHINE, IFACE + ".QueryStatus").contains("'prelaunch'"), o.output());
        assertTrue(o.process.isAlive(), o.output());
    }

    @Test void aJavaClientCallsAndGetsTypedErrors() throws Exception {
        startWithBus();
        try (DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            Machine1 m = c.getRemoteObject(NAME, MACHINE, Machine1.class);
            assertEquals("prelaunch", m.QueryStatus().get("status").getValue());
            assertEquals("virt-machine", m.QomGet("/machine", "type").getValue());
            assertEquals(134217728L, ((Number) m.QomGet("/machine", "ram-size").getValue()).longValue());
            // the typed API turns the error into an exception carrying QMP's desc ...
            DBusExecutionException e = assertThrows(DBusExecutionException.class, () -> m.QomGet("/nowhere", "type"));
            assertEquals("Device '/nowhere' not found", e.getMessage());
            // ... and the error message on the wire is named after QMP's error class (dbus-java keeps that name
            // only on the reply message: with no Java class of that name, getType() gives the exception class)
            Message reply = c.callMethodAsync(m, "QomGet", "/nowhere", "type").getCall().getReply(10_000);
            assertTrue(reply instanceof org.freedesktop.dbus.messages.Error, String.valueOf(reply));
            assertEquals("org.orrery.Error.DeviceNotFound", reply.getName());
            // the connection is still good after the error
            assertEquals("virt-machine", m.QomGet("/machine", "type").getValue());
        }
    }

    @Test void badInputFromPythonGetsErrorsAndNothingElse() throws Exception {
        Orrery o = startWithBus();
        String out = python(Duration.ofSeconds(45),
                "import os, threading, dbus",
                "N, M, I = '" + NAME + "', '" + MACHINE + "', '" + IFACE + "'",
                "b = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])",
                "def err(f):",
                "    try:",
                "        f()",
                "        return 'NO-ERROR'",
                "    except dbus.exceptions.DBusException as e:",
                "        return e.get_dbus_name()",
                "print('wrong-signature', err(lambda: b.call_blocking(N, M, I, 'QomGet', 'ib', (dbus.Int32(1), dbus.Boolean(True)))))",
                "print('unknown-property', err(lambda: b.call_blocking(N, '/org/orrery/objects/machine',"
                        + " 'org.freedesktop.DBus.Properties', 'Get', 'ss', ('org.orrery.Object1', 'NoSuchProperty'))))",
                "objects = lambda: len(b.call_blocking(N, '/org/orrery/objects', 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', '', ()))",
                "before = objects()",
                "huge = dbus.Dictionary({'k%d' % i: dbus.Int32(i) for i in range(100000)}, signature='sv')",
                "print('huge', err(lambda: b.call_blocking(N, M, I, 'DeviceAdd', 'sa{sv}', ('virtio-rng-device', huge), timeout=30)))",
                "print('after-huge', b.call_blocking(N, M, I, 'QueryStatus', '', ())['status'])",
                "print('objects-unchanged', objects() == before)",
                "ok, lock = [], threading.Lock()",
                "def client():",
                "    c = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])",
                "    n = sum(1 for _ in range(50) if c.call_blocking(N, M, I, 'QomGet', 'ss', ('/machine', 'type'), timeout=20) == 'virt-machine')",
                "    with lock: ok.append(n)",
                "ts = [threading.Thread(target=client) for _ in range(20)]",
                "for t in ts: t.start()",
                "for t in ts: t.join(30)",
                "print('concurrent', len(ok), sum(ok))");
        String report = out + "\n--- orrery:\n" + o.output();
        assertTrue(out.contains("wrong-signature org.freedesktop.DBus.Error.InvalidArgs\n"), report);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("unknown-property org.")), report);   // an error name, not a value
        assertTrue(out.lines().anyMatch(l -> l.startsWith("huge org.")), report);
        assertTrue(out.contains("after-huge prelaunch\n"), report);
        assertTrue(out.contains("objects-unchanged True\n"), report);   // the refused DeviceAdd made no object
        assertTrue(out.contains("concurrent 20 1000\n"), report);
        assertTrue(call(MACHINE, IFACE + ".QueryStatus").contains("'prelaunch'"), report);
        assertTrue(o.process.isAlive(), report);
    }
}
