package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.orrery.command.Session;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.SafePoint;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class CommandLineGateTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test void whileTheCommandLineConfiguresOtherSessionsWaitAndItsOwnAndInternalCommandsRun() throws Exception {
        TypeRegistryImpl types = new TypeRegistryImpl();
        CommandLayerImpl layer = new CommandLayerImpl();
        layer.add("core", new CoreCommands(types), "core");
        ObjectTree tree = new ObjectTree(types, SafePoint.inline());
        tree.container("/machine");
        CommandLineGate gate = new CommandLineGate(60_000);
        layer.setSessionGate(gate);
        Session commandLine = () -> "command line", client = () -> "qmp client";
        gate.add(commandLine);
        var pool = Executors.newSingleThreadExecutor();
        try {
            Future<JsonNode> early = pool.submit(() -> typeOfMachine(layer, tree, client));
            Thread.sleep(200);
            assertFalse(early.isDone(), "a client's command waits while the command line configures");
            assertEquals("container", typeOfMachine(layer, tree, commandLine).asText());
            assertEquals("container", typeOfMachine(layer, tree, Session.INTERNAL).asText());
            assertFalse(early.isDone());
            gate.remove(commandLine);
            assertEquals("container", early.get(10, TimeUnit.SECONDS).asText());
            assertEquals("container", typeOfMachine(layer, tree, client).asText(), "and runs at once afterwards");
        } finally {
            pool.shutdownNow();
        }
    }

    private static JsonNode typeOfMachine(CommandLayerImpl layer, ObjectTree tree, Session session) throws Exception {
        return layer.execute(tree, "qom-get", Value.ofJson("arguments", M.readTree("{\"path\": \"/machine\", \"property\": \"type\"}")), session);
    }
}
