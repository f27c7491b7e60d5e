package org.orrery.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The running container on a private bus, driven by Debian's real D-Bus clients: gdbus, busctl, python3-dbus. */
@Tag("e2e")
class DbusE2ETest {
    private static final String NAME = "org.orrery.EndToEnd";
    private static final String MACHINE = "/org/orrery/Machine";
    private static final String IFACE = "org.orrery.Machine1";
    @TempDir Path tmp;
    private Process daemon;
    private String address;

    @BeforeEach void privateBus() throws Exception {
        daemon = new ProcessBuilder("dbus-daemon", "--session", "--nofork", "--print-address=1").redirectErrorStream(true).start();
        address = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(address != null && address.startsWith("unix:"), "dbus-daemon printed no address");
    }

    @AfterEach void stopBus() { daemon.destroy(); }

    private String client(String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return out;
    }

    private String call(String path, String method, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", NAME, "--object-path", path, "--method", method));
        cmd.addAll(List.of(args));
        return client(cmd.toArray(String[]::new));
    }

    private Orrery startWithBus(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null",
                "-dbus", "name=" + NAME + ",addr=" + address.replace(",", ",,")));   // QEMU option syntax: a comma in a value is doubled
        args.addAll(List.of(extra));
        Orrery o = Orrery.start(args);
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (!client("gdbus", "introspect", "--session", "--dest", NAME, "--object-path", MACHINE).contains(IFACE)) {
            if (!o.process.isAlive()) throw new AssertionError("orrery exited: " + o.output());
            if (System.nanoTime() > deadline) throw new AssertionError("the name never appeared on the bus: " + o.output());
            Thread.sleep(200);
        }
        return o;
    }

    @Test void theMachineIsDrivenOverTheBus() throws Exception {
        try (Orrery o = startWithBus("-S")) {
            String xml = client("gdbus", "introspect", "--session", "--dest", NAME, "--object-path", MACHINE, "--xml");
            assertTrue(xml.contains("<method name=\"QomGet\">") && xml.contains("<signal name=\"DeviceDeleted\">")
                    && xml.contains("org.gtk.GDBus.DocString"), xml);
            assertTrue(call(MACHINE, IFACE + ".QueryStatus").contains("'prelaunch'"));
            assertTrue(call(MACHINE, IFACE + ".QomGet", "/machine", "type").contains("'virt-machine'"));
            assertTrue(call(MACHINE, IFACE + ".NoSuchThing").contains("UnknownMethod"));
            assertTrue(call(MACHINE, IFACE + ".QomGet", "/nowhere", "type").contains("org.orrery.Error.DeviceNotFound"));
            String window = call("/org/orrery/objects/machine", "org.freedesktop.DBus.Properties.Set", "org.orrery.Object1", "RamSize", "<@t 1024>");
            assertTrue(window.contains("after it was realized"), window);
            String tree = client("busctl", "--address=" + address, "tree", "--list", NAME);
            assertTrue(tree.contains("/org/orrery/objects/machine/soc/serial_40" + "10000000"), tree);

            Path monitorLog = tmp.resolve("monitor.txt");
            ProcessBuilder mb = new ProcessBuilder("gdbus", "monitor", "--session", "--dest", NAME).redirectErrorStream(true)
                    .redirectOutput(monitorLog.toFile());
            mb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
            Process monitor = mb.start();
            try {
                Thread.sleep(1000);
                call(MACHINE, IFACE + ".Cont");
                call(MACHINE, IFACE + ".Stop");
                call(MACHINE, IFACE + ".DeviceAdd", "virtio-rng-device", "{'id': <'rng7'>}");
                call(MACHINE, IFACE + ".DeviceDel", "rng7");
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (System.nanoTime() < deadline && !Files.readString(monitorLog).contains("InterfacesRemoved")) Thread.sleep(100);
            } finally {
                monitor.destroy();
            }
            String signals = Files.readString(monitorLog);
            assertTrue(signals.contains(IFACE + ".Resume") && signals.contains(IFACE + ".Stop"), signals);
            assertTrue(signals.contains("InterfacesAdded") && signals.contains("rng7"), signals);
            assertTrue(signals.contains(IFACE + ".DeviceDeleted") && signals.contains("InterfacesRemoved"), signals);

            // as many methods as commands
            String methods = client("/usr/bin/python3", "-c", String.join("\n",
                    "import dbus, xml.etree.ElementTree as E",
                    "b = dbus.SessionBus()",
                    "x = E.fromstring(b.get_object('" + NAME + "', '" + MACHINE + "').Introspect(dbus_interface='org.freedesktop.DBus.Introspectable'))",
                    "i = [e for e in x if e.get('name') == '" + IFACE + "'][0]",
                    "m = dbus.Interface(b.get_object('" + NAME + "', '" + MACHINE + "'), '" + IFACE + "')",
                    "print(len([e for e in i if e.tag == 'method']), len(m.QueryCommands()))"));
            String[] counts = methods.strip().split(" ");
            assertEquals(counts[0], counts[1], "one method per command: " + methods);
        }
    }

    @Test void preconfigOverTheBus() throws Exception {
        try (Orrery o = startWithBus("-preconfig")) {
            assertTrue(call(MACHINE, IFACE + ".QueryStatus").contains("'preconfig'"));
            call(MACHINE, IFACE + ".XExitPreconfig");
            long deadline = System.nanoTime() + 20_000_000_000L;
            String status = "";
            while (System.nanoTime() < deadline && !(status = call(MACHINE, IFACE + ".QueryStatus")).contains("'running'")) Thread.sleep(200);
            assertTrue(status.contains("'running'"), status);
        }
    }
}
