package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandHandler;
import org.orrery.command.CommandModule;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.Machine;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.internal.MachineCommands;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.machine.irq.IrqLine;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.Settable;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.List;
import java.util.Map;

/**
 * The platform as the distribution assembles it, without OSGi: the real type registry, command layer
 * (core, machine and D-Bus commands) and machine runtime, with a minimal board ("test" machine), a device
 * type and a user-creatable object type whose provider can be removed as an uninstalled bundle's would.
 */
final class TestPlatform implements AutoCloseable {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String OBJECT_TYPE_KEY = "test:object";

    final TypeRegistryImpl registry = new TypeRegistryImpl();
    final CommandLayerImpl layer = new CommandLayerImpl();
    final DbusCommands dbus = new DbusCommands();
    final MachineManagerComponent machines;
    final Machine machine;

    static final Property<Long> COUNT = Property.of("count", PropertyTypes.UINT32).defaultValue(1L).description("how many");
    static final Property<String> LABEL = Property.of("label", PropertyTypes.STR).settable(Settable.ALWAYS).description("a label, settable at any time");
    static final Property<String> MODE = Property.of("mode", PropertyTypes.enumOf("TestMode", "fast", "slow")).settable(Settable.ALWAYS).defaultValue("fast");
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).defaultValue(0L);

    static final class TestBoard extends Board {
        @Override public List<org.orrery.machine.cpu.Hart> harts() { return List.of(); }
        @Override public FdtNode buildDeviceTree() { return null; }
        @Override public void loadImages() { }
        @Override public IrqLine platformIrq(int source) { return IrqLine.UNCONNECTED; }
    }

    static final class TestDevice extends Device { }

    TestPlatform() {
        registry.add("test:device", TypeDescription.named("device").parent("object").abstractType().property(Device.REALIZED), "test");
        registry.add("test:machine", TypeDescription.named("machine").parent("object").abstractType()
                .properties(Board.RAM_SIZE, Board.MEMORY_BACKEND, Board.CPU_TYPE, Board.SMP, Board.FIRMWARE,
                        Board.KERNEL, Board.INITRD, Board.APPEND, Board.DTB, Board.DUMPDTB, Board.SERIAL_CHARDEV), "test");
        registry.add("test:board", TypeDescription.named("test-machine").parent("machine").creates(TestBoard::new)
                .description("a board with nothing on it"), "test");
        registry.add("test:test-device", TypeDescription.named("test-device").parent("device").properties(COUNT, LABEL, MODE)
                .creates(TestDevice::new), "test");
        registry.add(OBJECT_TYPE_KEY, TypeDescription.named("test-object").implementing("user-creatable").property(SIZE)
                .creates(QObject::new), "test.bundle");
        layer.add("core", new CoreCommands(registry), "org.orrery.command-layer");
        layer.add("machine", new MachineCommands(registry), "org.orrery.machine-api");
        layer.add("dbus", dbus, "org.orrery.dbus-frontend");
        layer.add("test", testCommands(), "test");
        machines = new MachineManagerComponent(registry);
        machine = machines.create("main");
        machine.call(() -> machine.createBoard("test"));
    }

    /** A slow command that does not hold the machine thread, for clients that hang up mid-call. */
    private static CommandModule testCommands() {
        String schema = """
                [ { "command": "test-sleep", "any-thread": true, "allow-preconfig": true, "data": { "ms": "int" },
                    "returns": "str", "doc": "Sleeps, then answers." } ]
                """;
        CommandHandler sleep = (a, c) -> {
            try { Thread.sleep(a.integer("ms")); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return F.textNode("slept");
        };
        return module(schema, Map.of("test-sleep", sleep));
    }

    static CommandModule module(String schema, Map<String, CommandHandler> handlers) {
        return new CommandModule() {
            public String schema() { return schema; }
            public Map<String, CommandHandler> handlers() { return handlers; }
        };
    }

    JsonNode qmp(String command, ObjectNode args) {
        return layer.execute(machine.tree(), command, args == null ? null : Value.ofJson("arguments", args), () -> "test");
    }

    JsonNode qmp(String command, String... keyValues) {
        ObjectNode a = F.objectNode();
        for (int i = 0; i < keyValues.length; i += 2) a.put(keyValues[i], keyValues[i + 1]);
        return qmp(command, a);
    }

    int commandCount() { return qmp("query-commands", (ObjectNode) null).size(); }

    @Override public void close() {
        dbus.deactivate();
        machines.destroy(machine);
    }

    static Session session() { return () -> "test"; }
}
