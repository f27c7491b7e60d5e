package org.orrery.machine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandModule;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.Machine;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.internal.MachineCommands;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.function.Supplier;

/**
 * The platform as the distribution assembles it, without OSGi: the real type registry, command layer (the
 * core and machine commands) and machine runtime (machines with their own threads), with the abstract
 * "device" and "machine" types. Tests add their types, command modules and machines.
 */
public class TestPlatform implements AutoCloseable {
    public final TypeRegistryImpl registry = new TypeRegistryImpl();
    public final CommandLayerImpl layer = new CommandLayerImpl();
    public final MachineManagerComponent machines = new MachineManagerComponent(registry);

    public TestPlatform() {
        type("device", TypeDescription.named("device").parent("object").abstractType().property(Device.REALIZED));
        type("machine", TypeDescription.named("machine").parent("object").abstractType()
                .properties(Board.RAM_SIZE, Board.MEMORY_BACKEND, Board.CPU_TYPE, Board.SMP, Board.FIRMWARE,
                        Board.KERNEL, Board.INITRD, Board.APPEND, Board.DTB, Board.DUMPDTB, Board.SERIAL_CHARDEV));
        layer.add("core", new CoreCommands(registry), "org.orrery.command-layer");
        layer.add("machine", new MachineCommands(registry), "org.orrery.machine-api");
        layer.add("jobs", new org.orrery.machine.job.JobCommands(), "org.orrery.machine-api");
    }

    /** Registers a type as bundle "test.bundle" would, under {@code key}. */
    public final TestPlatform type(String key, TypeDescription d) {
        registry.add(key, d, "test.bundle");
        return this;
    }

    /** Registers the board type {@code NAME-machine} that makes {@code board}. */
    public final TestPlatform board(String name, Supplier<? extends Board> board) {
        return type(name + "-machine", TypeDescription.named(name + "-machine").parent("machine").creates(board).description("a board for tests"));
    }

    /** Adds a command module as bundle {@code bundle} would. */
    public final TestPlatform module(String key, CommandModule module, String bundle) {
        layer.add(key, module, bundle);
        return this;
    }

    /** A new machine with the board {@code boardName} made on it (not built), or with no board when null. */
    public final Machine machine(String name, String boardName) {
        Machine m = machines.create(name);
        if (boardName != null) m.call(() -> m.createBoard(boardName));
        return m;
    }

    /** Runs a command on {@code machine}'s tree as a front-end would; arguments may be null. */
    public final JsonNode qmp(Machine machine, String command, ObjectNode args) {
        return layer.execute(machine.tree(), command, args == null ? null : Value.ofJson("arguments", args), Session.INTERNAL);
    }

    /** A JSON object of the key/value pairs given. */
    public static ObjectNode args(String... keyValues) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < keyValues.length; i += 2) a.put(keyValues[i], keyValues[i + 1]);
        return a;
    }

    /** Destroys every machine. */
    @Override public void close() { for (Machine m : machines.machines()) machines.destroy(m); }
}
