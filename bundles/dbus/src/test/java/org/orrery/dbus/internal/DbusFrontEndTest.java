package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.orrery.qom.QomException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The front-end driven by real clients (gdbus, busctl, python3-dbus) through a private dbus-daemon, in
 * the order a user goes: preconfig, configuration, x-exit-preconfig, a running machine.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DbusFrontEndTest {
    static final String NAME = "org.orrery.Test";
    static final String M = "org.orrery.Machine1.";
    static DbusDaemon bus;
    static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        bus = DbusDaemon.start();
        platform = new TestPlatform();
        platform.qmp("dbus-add", "id", "d0", "name", NAME, "addr", bus.address);
    }

    @AfterAll
    static void stop() {
        if (platform != null) platform.close();
        if (bus != null) bus.close();
    }

    static DbusDaemon.Result gdbusCall(String path, String method, String... args) throws Exception {
        String[] head = {"gdbus", "call", "--session", "-d", NAME, "-o", path, "-m"};
        String[] full = new String[9 + args.length];
        System.arraycopy(head, 0, full, 0, 8);
        full[8] = method;
        System.arraycopy(args, 0, full, 9, args.length);
        return bus.run(20, full);
    }

    static String ok(DbusDaemon.Result r) {
        assertEquals(0, r.exit(), r.all());
        return r.out().strip();
    }

    @Test @Order(1)
    void introspectionHasOneMethodPerCommandAndDocStrings() throws Exception {
        String xml = ok(bus.run(20, "gdbus", "introspect", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "--xml"));
        assertTrue(xml.contains("<method name=\"QomGet\">"), xml);
        assertTrue(xml.contains("<method name=\"XExitPreconfig\">"), xml);
        assertTrue(xml.contains("<signal name=\"DeviceDeleted\">"), xml);
        assertTrue(xml.contains("org.gtk.GDBus.DocString"), xml);
        int methods = 0;
        Matcher m = Pattern.compile("<method name=\"").matcher(xml.substring(xml.indexOf(Names.MACHINE_IFACE), xml.indexOf("org.freedesktop.DBus.Introspectable")));
        while (m.find()) methods++;
        assertEquals(platform.commandCount(), methods);
    }

    @Test @Order(2)
    void queryStatusSaysPreconfig() throws Exception {
        String out = ok(gdbusCall("/org/orrery/Machine", M + "QueryStatus"));
        assertTrue(out.contains("'status': <'preconfig'>"), out);
        assertTrue(out.contains("'running': <false>"), out);
    }

    @Test @Order(3)
    void qomGet() throws Exception {
        assertEquals("(<'test-machine'>,)", ok(gdbusCall("/org/orrery/Machine", M + "QomGet", "/machine", "type")));
    }

    static final String DEV0 = "/org/orrery/objects/machine/peripheral/dev0";
    static final String MACHINE_OBJ = "/org/orrery/objects/machine";
    static final String PROPS = "org.freedesktop.DBus.Properties.";

    static DbusDaemon.Background monitor() throws Exception {
        DbusDaemon.Background mon = bus.background("gdbus", "monitor", "--session", "-d", NAME);
        String t = mon.await("is owned by", 10_000);
        assertTrue(t.contains("is owned by"), t);
        return mon;
    }

    static String python(String... args) throws Exception {
        String script = java.nio.file.Path.of(DbusFrontEndTest.class.getResource("client.py").toURI()).toString();
        String[] cmd = new String[3 + args.length];
        cmd[0] = "/usr/bin/python3";
        cmd[1] = script;
        cmd[2] = NAME;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return ok(bus.run(60, cmd));
    }

    @Test @Order(4)
    void deviceAddInPreconfigIsSeenThroughObjectManager() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall("/org/orrery/Machine", M + "DeviceAdd", "test-device", "{'id': <'dev0'>, 'count': <@u 3>}"));
            String t = mon.await("peripheral/dev0", 5000);
            assertTrue(t.contains("org.freedesktop.DBus.ObjectManager.InterfacesAdded (objectpath '" + DEV0 + "'"), t);
            assertTrue(t.contains("'Count': <uint64 3>"), t);
        }
        String all = ok(gdbusCall(DEV0, PROPS + "GetAll", "org.orrery.Object1"));
        assertTrue(all.contains("'Type': <'test-device'>"), all);
        assertTrue(all.contains("'Path': <'/machine/peripheral/dev0'>"), all);
        assertTrue(all.contains("'Realized': <false>"), all);
        assertTrue(all.contains("'Mode': <'fast'>"), all);
    }

    @Test @Order(5)
    void propertyGetAndSetBeforeRealize() throws Exception {
        assertEquals("(<uint64 134217728>,)", ok(gdbusCall(MACHINE_OBJ, PROPS + "Get", "org.orrery.Object1", "RamSize")));
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall(MACHINE_OBJ, PROPS + "Set", "org.orrery.Object1", "RamSize", "<@t 268435456>"));
            String t = mon.await("RamSize", 5000);
            assertTrue(t.contains(MACHINE_OBJ + ": org.freedesktop.DBus.Properties.PropertiesChanged ('org.orrery.Object1', {'RamSize': <uint64 268435456>}, @as [])"), t);
        }
        assertEquals("(<uint64 268435456>,)", ok(gdbusCall(MACHINE_OBJ, PROPS + "Get", "org.orrery.Object1", "RamSize")));
        assertEquals("(<'/machine'>,)", ok(gdbusCall(MACHINE_OBJ, PROPS + "Get", "org.orrery.Object1", "Path")));
    }

    @Test @Order(6)
    void exitPreconfigBuildsAndStarts() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall("/org/orrery/Machine", M + "XExitPreconfig"));
            String t = mon.await("Resume", 5000);
            assertTrue(t.contains("/org/orrery/Machine: org.orrery.Machine1.Resume ()"), t);
            t = mon.await("Realized", 5000);
            assertTrue(t.contains(DEV0 + ": org.freedesktop.DBus.Properties.PropertiesChanged ('org.orrery.Object1', {'Realized': <true>}"), t);
        }
        String out = ok(gdbusCall("/org/orrery/Machine", M + "QueryStatus"));
        assertTrue(out.contains("'status': <'running'>"), out);
        DbusDaemon.Result r = gdbusCall(MACHINE_OBJ, PROPS + "Set", "org.orrery.Object1", "RamSize", "<@t 1024>");
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("org.orrery.Error.GenericError: Attempt to set property 'ram-size' on '/machine' after it was realized"), r.err());
        // the same error as QMP's qom-set
        QomException e = assertThrows(QomException.class, () -> platform.qmp("qom-set", qomSetArgs("/machine", "ram-size", 1024)));
        assertTrue(r.err().contains(e.getMessage()), e.getMessage());
    }

    static ObjectNode qomSetArgs(String path, String property, long value) {
        ObjectNode a = TestPlatform.F.objectNode().put("path", path).put("property", property);
        a.put("value", value);
        return a;
    }

    @Test @Order(7)
    void eventsAreSignals() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall("/org/orrery/Machine", M + "Stop"));
            String t = mon.await("Machine1.Stop", 5000);
            assertTrue(t.contains("/org/orrery/Machine: org.orrery.Machine1.Stop ()"), t);
            platform.qmp("system_reset");
            t = mon.await("Machine1.Reset", 5000);
            assertTrue(t.contains("org.orrery.Machine1.Reset (false, 'host-qmp-system-reset')"), t);
        }
        ok(gdbusCall("/org/orrery/Machine", M + "Cont"));
    }

    @Test @Order(8)
    void propertyChangesThroughAnyFrontEndAreSignalled() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ObjectNode a = TestPlatform.F.objectNode().put("path", "/machine/peripheral/dev0").put("property", "label").put("value", "from-qmp");
            platform.qmp("qom-set", a);
            String t = mon.await("from-qmp", 5000);
            assertTrue(t.contains(DEV0 + ": org.freedesktop.DBus.Properties.PropertiesChanged ('org.orrery.Object1', {'Label': <'from-qmp'>}, @as [])"), t);
        }
        assertEquals("(<'from-qmp'>,)", ok(gdbusCall(DEV0, PROPS + "Get", "org.orrery.Object1", "Label")));
        ok(gdbusCall(DEV0, PROPS + "Set", "org.orrery.Object1", "Mode", "<'slow'>"));
        assertEquals("slow", platform.qmp("qom-get", "path", "/machine/peripheral/dev0", "property", "mode").textValue());
    }

    @Test @Order(9)
    void objectsComeAndGoThroughObjectManagerIncludingBundleRemoval() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall("/org/orrery/Machine", M + "ObjectAdd", "test-object", "o1", "{'size': <@t 4096>}"));
            String t = mon.await("objects/objects/o1", 5000);
            assertTrue(t.contains("InterfacesAdded (objectpath '/org/orrery/objects/objects/o1', {'org.orrery.Object1': {'Type': <'test-object'>, 'Path': <'/objects/o1'>, 'Size': <uint64 4096>}})"), t);
            String managed = ok(gdbusCall("/org/orrery/objects", "org.freedesktop.DBus.ObjectManager.GetManagedObjects"));
            assertTrue(managed.contains("'/org/orrery/objects/objects/o1': {'org.orrery.Object1': {'Type': <'test-object'>"), managed);
            assertTrue(managed.contains("'" + DEV0 + "': {'org.orrery.Object1': {'Type': <'test-device'>"), managed);
            ok(gdbusCall("/org/orrery/Machine", M + "ObjectDel", "o1"));
            t = mon.await("InterfacesRemoved", 5000);
            assertTrue(t.contains("InterfacesRemoved (objectpath '/org/orrery/objects/objects/o1', ['org.orrery.Object1'])"), t);

            ok(gdbusCall("/org/orrery/Machine", M + "ObjectAdd", "test-object", "o_2", "{}"));
            mon.await("o_5f2'", 5000);
            platform.registry.remove(TestPlatform.OBJECT_TYPE_KEY); // as when the type's bundle is uninstalled
            t = mon.await("InterfacesRemoved (objectpath '/org/orrery/objects/objects/o_5f2'", 5000);
            assertTrue(t.contains("InterfacesRemoved (objectpath '/org/orrery/objects/objects/o_5f2', ['org.orrery.Object1'])"), t);
            t = mon.await("ObjectDeleted ('o_2'", 5000);
            assertTrue(t.contains("org.orrery.Machine1.ObjectDeleted ('o_2', '/objects/o_2', 'test-object')"), t);
        }
        String managed = ok(gdbusCall("/org/orrery/objects", "org.freedesktop.DBus.ObjectManager.GetManagedObjects"));
        assertFalse(managed.contains("objects/objects/o1") || managed.contains("o_5f2"), managed);
    }

    @Test @Order(10)
    void busctlTreeShowsTheObjects() throws Exception {
        String tree = ok(bus.run(20, "busctl", "--address=" + bus.address, "tree", NAME, "--list"));
        assertTrue(tree.contains("/org/orrery/Machine"), tree);
        assertTrue(tree.contains(DEV0), tree);
        assertTrue(tree.contains("/org/orrery/objects/machine/peripheral_2danon"), tree);
        String intro = ok(bus.run(20, "busctl", "--address=" + bus.address, "introspect", NAME, DEV0));
        assertTrue(intro.contains(".Label") && intro.contains("property"), intro);
    }

    @Test @Order(11)
    void badInputGetsDbusErrors() throws Exception {
        DbusDaemon.Result r = gdbusCall("/org/orrery/Machine", M + "QomGet", "1", "2");
        // gdbus converts literals by the introspected signature; force a wrong one
        r = gdbusCall("/org/orrery/Machine", M + "QomGet", "@x 1");
        assertTrue(r.err().contains("org.freedesktop.DBus.Error.InvalidArgs"), r.err());
        r = bus.run(20, "busctl", "--address=" + bus.address, "call", NAME, "/org/orrery/Machine", "org.orrery.Machine1", "QomGet", "x", "5");
        assertTrue(r.all().contains("QomGet takes arguments of signature 'ss', not 'x'"), r.all());
        r = bus.run(20, "busctl", "--address=" + bus.address, "call", NAME, "/org/orrery/Machine", "org.orrery.Machine1", "NoSuchCommand");
        assertTrue(r.all().contains("No method NoSuchCommand"), r.all());
        r = gdbusCall("/org/orrery/Machine", M + "NoSuchCommand");
        assertTrue(r.err().contains("org.freedesktop.DBus.Error.UnknownMethod"), r.err());
        r = gdbusCall(DEV0, PROPS + "Get", "org.orrery.Object1", "NoSuchProperty");
        assertTrue(r.err().contains("org.freedesktop.DBus.Error.UnknownProperty"), r.err());
        r = gdbusCall(DEV0, PROPS + "Set", "org.orrery.Object1", "Label", "<@x 5>");
        assertTrue(r.err().contains("org.orrery.Error.GenericError: Invalid parameter type for 'value', expected: string"), r.err());
        r = gdbusCall(DEV0, PROPS + "Set", "org.orrery.Object1", "Path", "<'x'>");
        assertTrue(r.err().contains("org.freedesktop.DBus.Error.PropertyReadOnly"), r.err());
        r = gdbusCall(DEV0, PROPS + "Set", "org.orrery.Object1", "Type", "<'x'>");
        assertTrue(r.err().contains("org.orrery.Error.GenericError: Property 'test-device.type' is not writable"), r.err());
        r = gdbusCall(DEV0, PROPS + "Set", "org.orrery.Object1", "Count", "<@u 9>");
        assertTrue(r.err().contains("org.orrery.Error.GenericError: Attempt to set property 'count'"), r.err());
        r = bus.run(20, "busctl", "--address=" + bus.address, "call", NAME, "/org/orrery/objects/nothing_2fhere", "org.freedesktop.DBus.Properties", "GetAll", "s", "");
        assertTrue(r.all().contains("No object at"), r.all());
        r = gdbusCall("/org/orrery/Machine", M + "QomGet", "/nowhere", "type");
        assertTrue(r.err().contains("org.orrery.Error.DeviceNotFound: Device '/nowhere' not found"), r.err());
        r = gdbusCall("/org/orrery/Machine", M + "DeviceAdd", "test-device", "{'id': <'x'>, 'nonsense': <1>}");
        assertTrue(r.err().contains("org.orrery.Error.GenericError: Property 'test-device.nonsense' not found"), r.err());
        r = gdbusCall("/org/orrery/Machine", M + "DeviceAdd", "test-device", "{'driver': <'x'>}");
        assertTrue(r.err().contains("org.freedesktop.DBus.Error.InvalidArgs: 'driver' is a mandatory argument"), r.err());
        assertEquals("(<'test-machine'>,)", ok(gdbusCall("/org/orrery/Machine", M + "QomGet", "/machine", "type")));
    }

    @Test @Order(12)
    void hugeAndDeepValuesAreRefused() throws Exception {
        String out = python("huge", "100000");
        assertTrue(out.contains("org.orrery.Error.GenericError: Property 'test-device.k"), out);
        assertTrue(out.contains("after: test-machine"), out);
        out = python("deep", "20");
        assertTrue(out.contains("org.orrery.Error.GenericError: Invalid parameter type for 'value', expected: string"), out);
        out = python("deep", "40");
        assertTrue(out.contains("org.freedesktop.DBus.Error."), out);
        assertTrue(out.contains("after: test-machine"), out);
    }

    @Test @Order(13)
    void clientsThatHangUpAndManyClientsAtOnce() throws Exception {
        assertEquals("gone", python("hangup", "500"));
        Thread.sleep(700);
        String out = python("many", "16", "50");
        assertEquals("ok 800 of 800", out);
        assertEquals("(<'test-machine'>,)", ok(gdbusCall("/org/orrery/Machine", M + "QomGet", "/machine", "type")));
    }

    @Test @Order(14)
    void aNameAlreadyOwnedIsAClearError() {
        QomException e = assertThrows(QomException.class, () -> platform.qmp("dbus-add", "id", "d1", "name", NAME, "addr", bus.address));
        assertTrue(e.getMessage().contains("the name 'org.orrery.Test' is already owned"), e.getMessage());
        assertEquals(1, platform.qmp("query-dbus").size());
        e = assertThrows(QomException.class, () -> platform.qmp("dbus-add", "id", "d1", "name", "not a name", "addr", bus.address));
        assertTrue(e.getMessage().contains("well-known D-Bus name"), e.getMessage());
    }

    @Test @Order(15)
    void methodsFollowTheInstalledCommands() throws Exception {
        Object key = new Object();
        platform.layer.add(key, TestPlatform.module("""
                [ { "command": "x-extra-thing", "any-thread": true, "data": { "n": "uint8", "*twice": "bool" }, "returns": ["int"] } ]
                """, java.util.Map.of("x-extra-thing", (a, c) -> {
            var out = TestPlatform.F.arrayNode();
            out.add(a.integer("n"));
            if (a.bool("twice", false)) out.add(a.integer("n"));
            return out;
        })), "extra.bundle");
        try {
            String xml = ok(bus.run(20, "gdbus", "introspect", "--session", "-d", NAME, "-o", "/org/orrery/Machine", "--xml"));
            assertTrue(xml.contains("<method name=\"XExtraThing\">"), xml);
            assertEquals("([int64 7, 7],)", ok(gdbusCall("/org/orrery/Machine", M + "XExtraThing", "@t 7", "{'twice': <true>}")));
        } finally {
            platform.layer.remove(key);
        }
        DbusDaemon.Result r = gdbusCall("/org/orrery/Machine", M + "XExtraThing", "@t 7", "{}");
        assertTrue(r.err().contains("UnknownMethod"), r.err());
        introspectionHasOneMethodPerCommandAndDocStrings();
    }

    @Test @Order(16)
    void deviceDelIsSignalledWithItsOptionalMember() throws Exception {
        try (DbusDaemon.Background mon = monitor()) {
            ok(gdbusCall("/org/orrery/Machine", M + "DeviceDel", "dev0"));
            String t = mon.await("DeviceDeleted", 5000);
            assertTrue(t.contains("org.orrery.Machine1.DeviceDeleted ('/machine/peripheral/dev0', {'device': <'dev0'>})"), t);
            assertTrue(t.contains("InterfacesRemoved (objectpath '" + DEV0 + "'"), t);
        }
    }
}
