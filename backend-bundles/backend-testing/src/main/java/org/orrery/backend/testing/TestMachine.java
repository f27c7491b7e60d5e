package org.orrery.backend.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.orrery.command.CommandModule;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.testing.MachineThread;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.TypeProvider;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.concurrent.Callable;

/** A tree with a real machine thread (a single-thread executor) and a command layer, as tests need them. */
public final class TestMachine implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public final TypeRegistryImpl registry = new TypeRegistryImpl();
    public final MachineThread thread = new MachineThread();
    public final ObjectTree tree;
    public final CommandLayerImpl commands = new CommandLayerImpl();

    public TestMachine(TypeProvider... providers) {
        for (TypeProvider p : providers) registry.add(p, p.describe(), "test");
        tree = new ObjectTree(registry, thread);
        tree.attach(org.orrery.machine.job.Jobs.class, new org.orrery.machine.job.Jobs(tree));
        commands.add("core", new CoreCommands(registry), "core");
    }

    public TestMachine module(CommandModule m) { commands.add(m, m, "test"); return this; }

    public JsonNode qmp(String command, String jsonArgs) {
        try {
            return commands.execute(tree, command, jsonArgs == null ? null : Value.ofJson("arguments", JSON.readTree(jsonArgs)), Session.INTERNAL);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public JsonNode text(String command, String jsonArgs) {
        try {
            return commands.execute(tree, command, Value.ofText("arguments", JSON.readTree(jsonArgs)), Session.INTERNAL);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public <T> T call(Callable<T> c) { return thread.call(c); }

    private boolean closed;

    @Override public void close() {
        if (closed) return;
        closed = true;
        tree.dispose();
        thread.close();
    }
}
