package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.SafePoint;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

/** A module's schema validates every argument before its handler runs; handlers run at the tree's safe point unless any-thread. */
class SchemaDispatchTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String SCHEMA = """
            [ { "enum": "Speed", "data": [ "slow", "fast" ] },
              { "struct": "Point", "data": { "x": "int32", "*y": "uint8" } },
              { "alternate": "IdOrName", "data": { "id": "int", "name": "str" } },
              { "command": "t-shape", "data": { "name": "str", "*speed": "Speed", "*at": "Point", "*tags": [ "str" ],
                                                "*who": "IdOrName", "*size": "size", "*on": "bool" },
                "returns": "any" },
              { "command": "t-free", "any-thread": true, "returns": "str" },
              { "command": "t-look", "harts-run": true, "returns": "str" },
              { "command": "t-broken" },
              { "command": "t-extra", "extra-arguments": true, "data": { "driver": "str" }, "returns": "any" } ]
            """;

    /** Counts the tasks run through it, as a machine thread would see them. */
    static final class CountingSafePoint implements SafePoint {
        int calls, callsWhileRunning;
        boolean inside;
        @Override public <T> T callWhileRunning(Callable<T> task) {
            callsWhileRunning++;
            return enter(task);
        }
        @Override public <T> T call(Callable<T> task) {
            calls++;
            return enter(task);
        }
        private <T> T enter(Callable<T> task) {
            inside = true;
            try {
                return SafePoint.runHere(task);
            } finally {
                inside = false;
            }
        }
        @Override public void post(Runnable task) { task.run(); }
        @Override public boolean isCurrentThread() { return inside; }
    }

    private final CountingSafePoint safePoint = new CountingSafePoint();
    private final List<String> ran = new ArrayList<>();
    private CommandLayerImpl layer;
    private ObjectTree tree;

    @BeforeEach void setUp() {
        layer = new CommandLayerImpl();
        tree = new ObjectTree(new TypeRegistryImpl(), safePoint);
        Map<String, CommandHandler> handlers = Map.of(
                "t-shape", (a, c) -> { ran.add("t-shape at safe point: " + safePoint.inside); return a.json(); },
                "t-free", (a, c) -> { ran.add("t-free at safe point: " + safePoint.inside); return JsonNodeFactory.instance.textNode("free"); },
                "t-look", (a, c) -> { ran.add("t-look under the lock: " + safePoint.inside); return JsonNodeFactory.instance.textNode("seen"); },
                "t-broken", (a, c) -> { throw new IllegalStateException("a bug"); },
                "t-extra", (a, c) -> JsonNodeFactory.instance.textNode(a.str("driver") + " " + new java.util.TreeSet<>(a.extra().keySet())));
        layer.add("t", new CommandModule() {
            public String schema() { return SCHEMA; }
            public Map<String, CommandHandler> handlers() { return handlers; }
        }, "test");
    }

    private JsonNode call(String command, String json) throws Exception {
        return layer.execute(tree, command, json == null ? null : Value.ofJson("arguments", M.readTree(json)), Session.INTERNAL);
    }

    private String refused(String command, String json) {
        QomException e = assertThrows(QomException.class, () -> call(command, json));
        assertTrue(ran.isEmpty(), "the handler never ran: " + ran);
        return e.getMessage();
    }

    @Test void validArgumentsReachTheHandlerAtTheSafePoint() throws Exception {
        JsonNode r = call("t-shape", "{\"name\": \"a\", \"speed\": \"fast\", \"at\": {\"x\": -5, \"y\": 255}, \"tags\": [\"p\", \"q\"], \"who\": 3}");
        assertEquals("fast", r.get("speed").asText());
        assertEquals(-5, r.get("at").get("x").asInt());
        assertEquals(List.of("t-shape at safe point: true"), ran);
        assertEquals(1, safePoint.calls);
    }

    @Test void everyKindOfMistakeIsRefusedWithQemusMessage() {
        assertEquals("Parameter 'name' is missing", refused("t-shape", "{}"));
        assertEquals("Invalid parameter type for 'name', expected: string", refused("t-shape", "{\"name\": 1}"));
        assertEquals("Parameter 'speed' does not accept value 'warp'", refused("t-shape", "{\"name\": \"a\", \"speed\": \"warp\"}"));
        assertEquals("Parameter 'at.x' is missing", refused("t-shape", "{\"name\": \"a\", \"at\": {}}"));
        assertEquals("Parameter 'at.z' is unexpected", refused("t-shape", "{\"name\": \"a\", \"at\": {\"x\": 1, \"z\": 2}}"));
        String range = refused("t-shape", "{\"name\": \"a\", \"at\": {\"x\": 1, \"y\": 256}}");
        assertTrue(range.contains("y"), "uint8 range: " + range);
        String range32 = refused("t-shape", "{\"name\": \"a\", \"at\": {\"x\": 3000000000}}");
        assertTrue(range32.contains("x"), "int32 range: " + range32);
        assertTrue(refused("t-shape", "{\"name\": \"a\", \"tags\": [\"p\", 2]}").contains("tags"), "list element type");
        assertTrue(refused("t-shape", "{\"name\": \"a\", \"who\": true}").contains("who"), "neither member of the alternate");
        assertEquals("Parameter 'bogus' is unexpected", refused("t-shape", "{\"name\": \"a\", \"bogus\": 1}"));
        assertEquals(0, safePoint.calls, "nothing reached the machine");
    }

    @Test void theTextDialectConvertsAsTheCommandLineDoes() throws Exception {
        JsonNode r = layer.execute(tree, "t-shape", Value.ofText("arguments",
                M.readTree("{\"name\": \"a\", \"size\": \"2M\", \"on\": \"on\", \"who\": \"disk0\"}")), Session.INTERNAL);
        assertEquals(2 * 1024 * 1024, r.get("size").asLong());
        assertTrue(r.get("on").asBoolean());
        assertEquals("disk0", r.get("who").asText(), "text that is no number is the alternate's string");
    }

    @Test void anyThreadCommandsSkipTheSafePoint() throws Exception {
        assertEquals("free", call("t-free", null).asText());
        assertEquals(List.of("t-free at safe point: false"), ran);
        assertEquals(0, safePoint.calls);
    }

    @Test void hartsRunCommandsTakeTheLockWithoutStoppingTheHarts() throws Exception {
        assertEquals("seen", call("t-look", null).asText());
        assertEquals(List.of("t-look under the lock: true"), ran);
        assertEquals(1, safePoint.callsWhileRunning);
        assertEquals(0, safePoint.calls, "the harts were not stopped");
        call("t-shape", "{\"name\": \"a\"}");
        assertEquals(1, safePoint.calls, "a command without the flag still stops them");
        assertEquals(1, safePoint.callsWhileRunning);
    }

    @Test void aCommandCannotBeBothAnyThreadAndHartsRun() {
        QomException e = assertThrows(QomException.class, () -> SchemaParser.parse(
                "[ { \"command\": \"t-both\", \"any-thread\": true, \"harts-run\": true } ]", "test"));
        assertTrue(e.getMessage().contains("t-both is both any-thread and harts-run"), e.getMessage());
    }

    @Test void aGateAttachedToTheTreeDecidesBeforeTheHandlerRuns() {
        tree.attach(CommandGate.class, c -> { throw new QomException("not now: " + c.name()); });
        assertEquals("not now: t-shape", refused("t-shape", "{\"name\": \"a\"}"));
    }

    @Test void aHandlersBugIsAnErrorForTheClientNotACrash() {
        QomException e = assertThrows(QomException.class, () -> call("t-broken", null));
        assertEquals(ErrorClass.GenericError, e.errorClass());
        assertTrue(e.getMessage().contains("a bug"), e.getMessage());
    }

    @Test void extraArgumentsPassThroughToCommandsThatTakeThem() throws Exception {
        assertEquals("edu [addr, id]", call("t-extra", "{\"driver\": \"edu\", \"id\": \"e0\", \"addr\": 4096}").asText());
    }

    @Test void unknownCommandsAndCommandsOfARemovedModuleAreNotFound() {
        assertEquals(ErrorClass.CommandNotFound, assertThrows(QomException.class, () -> call("t-none", null)).errorClass());
        layer.remove("t");
        assertEquals(ErrorClass.CommandNotFound, assertThrows(QomException.class, () -> call("t-free", null)).errorClass());
    }
}
