package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.testing.MachineThread;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.Settable;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A machine for tests and benchmarks, assembled without OSGi: a type registry with a few types, a tree
 * with /machine and /objects, the command layer with the core commands, a stand-in for the machine's
 * commands, and the QMP server module, on a real machine thread.
 */
public final class TestMachine implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final TypeRegistryImpl types = new TypeRegistryImpl();
    public final CommandLayerImpl layer = new CommandLayerImpl();
    public final MachineThread machineThread = new MachineThread();
    public final ObjectTree tree;
    public final QmpServerComponent qmp;
    public final FakeMachineCommands machine = new FakeMachineCommands();

    public TestMachine() { this(QmpServer.DEFAULT_MAX_MESSAGE); }

    public TestMachine(int maxMessageSize) {
        types.add("t:machine", TypeDescription.named("machine").parent("object").abstractType(), "test");
        types.add("t:test-machine", TypeDescription.named("test-machine").parent("machine").creates(QObject::new)
                .description("a board for tests"), "test");
        types.add("t:device", TypeDescription.named("device").parent("object").abstractType(), "test");
        types.add("t:sys-bus-device", TypeDescription.named("sys-bus-device").parent("device").abstractType(), "test");
        types.add("t:test-uart", TypeDescription.named("test-uart").parent("sys-bus-device").creates(QObject::new)
                .property(Property.of("baud", PropertyTypes.UINT32).defaultValue(115200L).settable(Settable.ALWAYS)
                        .description("line speed")), "test");
        types.add("t:secret", TypeDescription.named("secret").parent("object").implementing("user-creatable")
                .creates(QObject::new).property(Property.of("data", PropertyTypes.STR)), "test");
        tree = new ObjectTree(types, Boolean.getBoolean("qmp.test.inline") ? org.orrery.qom.SafePoint.inline() : machineThread);
        machineThread.call(() -> {
            QObject m = tree.createChild(tree.root(), "machine", "test-machine");
            tree.createChild(m, "uart0", "test-uart");
            tree.container("/objects");
            tree.container("/machine/peripheral");
            return null;
        });
        CoreCommands core = new CoreCommands(types);
        layer.add(core, core, "org.orrery.command-layer");
        layer.add(machine, machine, "test-machine");
        qmp = new QmpServerComponent(maxMessageSize);
        layer.add(qmp, qmp, "org.orrery.qmp-server");
    }

    /** Runs a command as any front-end would; arguments as JSON text or null. */
    public JsonNode run(String command, String argumentsJson) {
        try {
            JsonNode args = argumentsJson == null ? null : JSON.readTree(argumentsJson);
            return layer.execute(tree, command, args == null ? null : Value.ofJson("arguments", args), Session.INTERNAL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens a listener and returns its canonical address (with the real port for tcp:...:0). */
    public String listen(String id, String address, boolean pretty) {
        run("qmp-listener-add", "{\"id\":\"" + id + "\",\"address\":\"" + address + "\",\"pretty\":" + pretty + "}");
        for (JsonNode l : run("query-qmp-listeners", null)) if (l.get("id").asText().equals(id)) return l.get("address").asText();
        throw new IllegalStateException("listener " + id + " missing");
    }

    /** The TCP port a listener bound. */
    public int port(String id) {
        String a = listen0(id);
        String hp = a.substring(4, a.indexOf(','));
        return Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
    }

    private String listen0(String id) {
        for (JsonNode l : run("query-qmp-listeners", null)) if (l.get("id").asText().equals(id)) return l.get("address").asText();
        throw new IllegalStateException("listener " + id + " missing");
    }

    @Override
    public void close() {
        qmp.close();
        machineThread.close();
    }
}
