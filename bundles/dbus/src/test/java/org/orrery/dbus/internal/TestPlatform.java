package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandHandler;
import org.orrery.command.CommandModule;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.device.Device;
import org.orrery.machine.testing.TestBoard;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.Settable;
import org.orrery.qom.TypeDescription;

import java.util.Map;

/**
 * The platform as the distribution assembles it, without OSGi: the real type registry, command layer
 * (core, machine and D-Bus commands) and machine runtime, with a minimal board ("test" machine), a device
 * type and a user-creatable object type whose provider can be removed as an uninstalled bundle's would.
 */
final class TestPlatform extends org.orrery.machine.testing.TestPlatform {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String OBJECT_TYPE_KEY = "test:object";

    final DbusCommands dbus = new DbusCommands();
    final Machine machine;

    static final Property<Long> COUNT = Property.of("count", PropertyTypes.UINT32).defaultValue(1L).description("how many");
    static final Property<String> LABEL = Property.of("label", PropertyTypes.STR).settable(Settable.ALWAYS).description("a label, settable at any time");
    static final Property<String> MODE = Property.of("mode", PropertyTypes.enumOf("TestMode", "fast", "slow")).settable(Settable.ALWAYS).defaultValue("fast");
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).defaultValue(0L);

    static final class TestDevice extends Device { }

    TestPlatform() {
        board("test", TestBoard::new);
        registry.add("test:test-device", TypeDescription.named("test-device").parent("device").properties(COUNT, LABEL, MODE)
                .creates(TestDevice::new), "test");
        registry.add(OBJECT_TYPE_KEY, TypeDescription.named("test-object").implementing("user-creatable").property(SIZE)
                .creates(QObject::new), "test.bundle");
        module("dbus", dbus, "org.orrery.dbus");
        module("test", testCommands(), "test");
        machine = machine("main", "test");
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

    JsonNode qmp(String command, ObjectNode args) { return qmp(machine, command, args); }

    JsonNode qmp(String command, String... keyValues) { return qmp(command, args(keyValues)); }

    int commandCount() { return qmp("query-commands", (ObjectNode) null).size(); }

    @Override public void close() {
        dbus.deactivate();
        super.close();
    }

    static Session session() { return () -> "test"; }
}
