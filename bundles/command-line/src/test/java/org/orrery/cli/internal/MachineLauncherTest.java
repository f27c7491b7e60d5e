package org.orrery.cli.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.device.Board;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.qom.Property;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.io.ByteArrayOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineLauncherTest {
    static final Property<Long> ADDR = LauncherFixture.ADDR;

    private LauncherFixture fixture;
    private TypeRegistryImpl types;
    private MachineManagerComponent machines;
    private CommandLayerImpl commands;
    private ByteArrayOutputStream out;
    private MachineLauncher launcher;

    @BeforeEach void setUp() {
        fixture = new LauncherFixture();
        types = fixture.types;
        machines = fixture.machines;
        commands = fixture.commands;
        out = fixture.out;
        launcher = fixture.launcher;
    }

    @AfterEach void tearDown() { fixture.close(); }

    private String error(String... args) {
        return assertThrows(CommandLineException.class, () -> launcher.launch(List.of(args))).line();
    }

    @Test void optionsBecomeCommandsOnANewMachine() {
        Machine m = launcher.launch(List.of("-machine", "test", "-m", "64M", "-device", "gizmo,id=g0,addr=0x1000", "-S")).machine();
        assertEquals(RunState.PRELAUNCH, m.runState());
        QObject board = m.tree().resolve("/machine");
        assertEquals(64L << 20, board.get(Board.RAM_SIZE));
        QObject g = m.tree().resolve("/machine/peripheral/g0");
        assertEquals(0x1000L, g.get(ADDR));
        assertTrue(g.isRealized(), "cold-plugged devices are realized when the machine is built");
    }

    @Test void withoutSTheMachineRunsAndWithPreconfigItWaits() {
        Machine running = launcher.launch(List.of("-machine", "test")).machine();
        assertEquals(RunState.RUNNING, running.runState());
        machines.destroy(running);
        Machine pre = launcher.launch(List.of("-M", "test", "-preconfig")).machine();
        assertEquals(RunState.PRECONFIG, pre.runState());
    }

    @Test void badInputIsOneLineNamingTheOptionAndLeavesNoMachine() {
        assertEquals("orrery: -bogus: invalid option", error("-bogus"));
        assertEquals("orrery: -m: requires an argument", error("-machine", "test", "-m"));
        assertTrue(error("-machine", "nope").startsWith("orrery: -machine nope: unsupported machine type 'nope'"));
        assertTrue(error("-machine", "test", "-m", "12Q").startsWith("orrery: -m 12Q: Parameter"), error("-machine", "test", "-m", "12Q"));
        assertEquals("orrery: -device nothing: 'nothing' is not a valid device model name", error("-machine", "test", "-device", "nothing"));
        assertTrue(error("-machine", "test", "-device", "gizmo,addr=zz").contains("Parameter 'addr' expects uint64"));
        assertTrue(error("-machine", "test", "-device", "gizmo,colour=red").contains("Property 'gizmo.colour' not found"));
        assertTrue(error("-machine", "test", "-device", "gizmo,id=a", "-device", "gizmo,id=a").contains("Duplicate ID 'a' for device"));
        assertTrue(error("-machine", "test", "-device", "gizmo,addr=1,,2").contains("addr"));
        assertTrue(error("-kernel", "x").contains("No machine specified"));
        assertTrue(machines.machines().isEmpty(), "a failed command line leaves no half-built machine");
    }

    private String snapshot(Machine m) {
        return m.call(() -> {
            StringBuilder b = new StringBuilder();
            for (QObject o : m.tree().all()) {
                b.append(o.path()).append(' ').append(o.type().name());
                for (var p : o.listProperties())
                    if (!p.type().startsWith("child<")) b.append(' ').append(p.name()).append('=').append(o.getProperty(p.name()));
                b.append('\n');
            }
            return b.toString();
        });
    }

    @Test void aSavedMachineRebuildsTheSameTree(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Machine first = launcher.launch(List.of("-machine", "test", "-m", "96M", "-device", "gizmo,id=g0,addr=0x1000",
                "-device", "gizmo,id=g1", "-device", "gizmo", "-name", "guest1", "-S")).machine();
        java.nio.file.Path file = dir.resolve("m.json");
        commands.execute(first.tree(), "device_del", org.orrery.qom.Value.ofJson("a",
                new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"id\": \"g1\"}")), org.orrery.command.Session.INTERNAL);
        commands.execute(first.tree(), "x-config-save", org.orrery.qom.Value.ofJson("a",
                new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"filename\": \"" + file + "\"}")), org.orrery.command.Session.INTERNAL);
        String before = snapshot(first);
        assertTrue(!java.nio.file.Files.readString(file).contains("g1"), "a deleted device is not saved");
        machines.destroy(first);
        Machine second = launcher.launch(List.of("-readconfig", file.toString())).machine();
        assertEquals(before, snapshot(second));
        assertEquals("guest1", second.options().guestName());
        assertEquals(RunState.PRELAUNCH, second.runState());
    }

    @Test void qemuIniConfigFilesBecomeOptions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path ini = dir.resolve("m.cfg");
        java.nio.file.Files.writeString(ini, "# QEMU-style\n[machine]\n  type = \"test\"\n[memory]\n  size = \"48M\"\n"
                + "[device \"g5\"]\n  driver = \"gizmo\"\n  addr = \"0x2000\"\n");
        Machine m = launcher.launch(List.of("-readconfig", ini.toString(), "-S")).machine();
        assertEquals(48L << 20, m.tree().resolve("/machine").get(Board.RAM_SIZE));
        assertEquals(0x2000L, m.tree().resolve("/machine/peripheral/g5").get(ADDR));
        java.nio.file.Files.writeString(ini, "[machine]\n type = test\n");
        assertTrue(error("-readconfig", ini.toString()).contains("line 2"));
    }

    @Test void helpIsGeneratedFromTheRegistry() {
        assertEquals(0, launcher.launch(List.of("-machine", "help")).exitStatus());
        assertTrue(out.toString().contains("test                 A test board"), out.toString());
        out.reset();
        assertEquals(0, launcher.launch(List.of("-device", "help")).exitStatus());
        assertTrue(out.toString().contains("name \"gizmo\""), out.toString());
        out.reset();
        assertEquals(0, launcher.launch(List.of("-device", "gizmo,help")).exitStatus());
        assertTrue(out.toString().contains("addr=<uint64>") && out.toString().contains("where it is mapped"), out.toString());
        types.add("late", TypeDescription.named("late-gizmo").parent("device").creates(LauncherFixture.Gizmo::new), "later-bundle");
        out.reset();
        launcher.launch(List.of("-device", "help"));
        assertTrue(out.toString().contains("late-gizmo"), "installing a bundle changes the list");
        assertNull(launcher.launch(List.of("-shell")).machine(), "no machine options: just the container");
    }

    @Test void globalsAreDefaultsForEveryDeviceOfTheType(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Machine m = launcher.launch(List.of("-machine", "test", "-global", "gizmo.addr=0x3000", "-device", "gizmo,id=a",
                "-device", "gizmo,id=b,addr=0x10", "-global", "driver=widget,property=port,value=7", "-S")).machine();
        assertEquals(0x3000L, m.tree().resolve("/machine/peripheral/a").get(ADDR));
        assertEquals(0x10L, m.tree().resolve("/machine/peripheral/b").get(ADDR), "a property given to the device wins");
        assertEquals(2, m.tree().globals().list().size());
        machines.destroy(m);
        java.nio.file.Path ini = dir.resolve("g.cfg");
        java.nio.file.Files.writeString(ini, "[machine]\n  type = \"test\"\n[global]\n  driver = \"gizmo\"\n  property = \"addr\"\n  value = \"0x40\"\n"
                + "[device \"g\"]\n  driver = \"gizmo\"\n");
        m = launcher.launch(List.of("-readconfig", ini.toString(), "-S")).machine();
        assertEquals(0x40L, m.tree().resolve("/machine/peripheral/g").get(ADDR), "[global] in a QEMU config file");
        machines.destroy(m);
        assertEquals("orrery: -global a.b: Invalid parameter 'a.b'", error("-machine", "test", "-global", "a.b"));
        assertEquals("orrery: -global driver=gizmo,property=addr: options 'driver', 'property', and 'value' are required",
                error("-machine", "test", "-global", "driver=gizmo,property=addr"));
        assertEquals("orrery: -device gizmo: can't apply global gizmo.colour=red: Property 'gizmo.colour' not found",
                error("-machine", "test", "-global", "gizmo.colour=red", "-device", "gizmo"));
    }

    @Test void cpuPropertiesBecomeGlobalsOnTheModelAsInQemu() {
        Machine m = launcher.launch(List.of("-machine", "test", "-cpu", "test-cpu,x=off", "-S")).machine();
        assertEquals(List.of(new org.orrery.qom.GlobalProperties.Global("test-cpu", "x", "off")), m.tree().globals().list());
        assertEquals("test-cpu", m.tree().resolve("/machine").get(Board.CPU_TYPE));
    }

    @Test void rtcBaseAndClockAreTheMachinesAndBadOnesAreRefused() {
        Machine m = launcher.launch(List.of("-machine", "test", "-rtc", "base=2020-01-01T10:00:00,clock=host,driftfix=slew", "-S")).machine();
        assertEquals("2020-01-01T10:00:00", m.options().rtcBase());
        assertEquals(org.orrery.machine.MachineOptions.RtcClock.HOST, m.options().rtcClock());
        assertEquals(1577872800L * 1_000_000_000L, m.options().rtcStartNanos());
        machines.destroy(m);
        assertEquals("orrery: -rtc base=bogus: invalid datetime format (valid formats: '2006-06-17T16:01:21' or '2006-06-17')",
                error("-machine", "test", "-rtc", "base=bogus"));
        assertEquals("orrery: -rtc clock=foo: invalid option value 'foo'", error("-machine", "test", "-rtc", "clock=foo"));
        assertEquals("orrery: -rtc nosuch=1: Invalid parameter 'nosuch'", error("-machine", "test", "-rtc", "nosuch=1"));
    }

    @Test void busPlacesADeviceAndAWrongOneIsQemusErrorNamingTheOption() {
        Machine m = launcher.launch(List.of("-machine", "test", "-device", "hub", "-device", "hub", "-device", "widget,id=w,bus=test-bus.0,port=1", "-S")).machine();
        org.orrery.machine.device.Device w = (org.orrery.machine.device.Device) m.tree().resolve("/machine/peripheral/w");
        assertEquals("test-bus.0", w.parentBus().busName());
        machines.destroy(m);
        m = launcher.launch(List.of("-machine", "test", "-device", "hub", "-device", "hub", "-device", "widget,id=w,port=1", "-S")).machine();
        assertEquals("test-bus.1", ((org.orrery.machine.device.Device) m.tree().resolve("/machine/peripheral/w")).parentBus().busName(),
                "without bus=, the newest bus with room, as QEMU searches");
        machines.destroy(m);
        // the bus is looked for before the properties are checked: a missing one is not what is reported
        assertEquals("orrery: -device widget,bus=nope.0: Bus 'nope.0' not found",
                error("-machine", "test", "-device", "widget,bus=nope.0"));
        assertEquals("orrery: -device widget,bus=test-bus.0,port=2: Bus 'test-bus.0' is full",
                error("-machine", "test", "-device", "hub", "-device", "widget,port=1", "-device", "widget,bus=test-bus.0,port=2"));
        assertEquals("orrery: -device widget,port=1: No 'test-bus' bus found for device 'widget'", error("-machine", "test", "-device", "widget,port=1"));
        assertEquals("orrery: -device gizmo,bus=test-bus.0: Device 'gizmo' can't go on test-bus bus",
                error("-machine", "test", "-device", "hub", "-device", "gizmo,bus=test-bus.0"));
    }
}
