package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.SafePoint;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLayerTest {
    private static final ObjectMapper M = new ObjectMapper();
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).required();

    private TypeRegistryImpl types;
    private CommandLayerImpl layer;
    private ObjectTree tree;

    @BeforeEach void setUp() {
        types = new TypeRegistryImpl();
        types.add("mem", TypeDescription.named("test-mem").implementing("user-creatable").property(SIZE).creates(QObject::new), "test");
        types.add("dev", TypeDescription.named("device").abstractType(), "test");
        layer = new CommandLayerImpl();
        layer.add("core", new CoreCommands(types), "core");
        tree = new ObjectTree(types, SafePoint.inline());
        tree.container("/machine");
    }

    private JsonNode call(String command, String args) throws Exception {
        return layer.execute(tree, command, args == null ? null : Value.ofJson("arguments", M.readTree(args)), Session.INTERNAL);
    }

    private QomException fails(String command, String args) {
        return assertThrows(QomException.class, () -> call(command, args));
    }

    @Test void argumentsAreValidatedAsQemuDoes() {
        assertEquals("Parameter 'path' is missing", fails("qom-list", "{}").getMessage());
        assertEquals("Invalid parameter type for 'path', expected: string", fails("qom-list", "{\"path\": 42}").getMessage());
        assertEquals("Parameter 'bogus' is unexpected", fails("qom-list", "{\"path\": \"/\", \"bogus\": 1}").getMessage());
        QomException unknown = fails("no-such", "{}");
        assertEquals(ErrorClass.CommandNotFound, unknown.errorClass());
        assertEquals("The command no-such has not been found", unknown.getMessage());
        assertEquals("Invalid parameter type for 'abstract', expected: boolean", fails("qom-list-types", "{\"abstract\": \"yes\"}").getMessage());
    }

    @Test void objectsAreCreatedReadAndDeletedThroughCommands() throws Exception {
        assertEquals("{}", call("object-add", "{\"qom-type\": \"test-mem\", \"id\": \"m0\", \"size\": 4096}").toString());
        assertEquals(4096, call("qom-get", "{\"path\": \"/objects/m0\", \"property\": \"size\"}").asLong());
        assertTrue(fails("qom-set", "{\"path\": \"/objects/m0\", \"property\": \"size\", \"value\": 1}").getMessage().contains("after it was realized"));
        assertTrue(fails("object-add", "{\"qom-type\": \"test-mem\", \"id\": \"m0\", \"size\": 1}").getMessage().contains("Duplicate ID"));
        QomException bad = fails("object-add", "{\"qom-type\": \"test-mem\", \"id\": \"m1\", \"size\": \"x\"}");
        assertTrue(bad.getMessage().contains("size"), bad.getMessage());
        assertEquals(0, tree.resolve("/objects").children().size() - 1, "a failed object-add leaves nothing behind");
        assertTrue(fails("object-add", "{\"qom-type\": \"test-mem\", \"id\": \"m2\"}").getMessage().contains("required"));
        assertEquals(null, tree.resolve("/objects/m2"));
        call("object-del", "{\"id\": \"m0\"}");
        assertEquals(ErrorClass.DeviceNotFound, fails("qom-get", "{\"path\": \"/objects/m0\", \"property\": \"size\"}").errorClass());
    }

    @Test void textDialectConvertsLikeTheCommandLine() {
        JsonNode r = layer.execute(tree, "object-add", Value.ofText("arguments",
                org.orrery.qom.Keyval.parse("test-mem,id=m0,size=2M", "qom-type")), Session.INTERNAL);
        assertEquals("{}", r.toString());
        assertEquals(2L << 20, ((QObject) tree.resolve("/objects/m0")).get(SIZE));
    }

    @Test void typesAndPropertiesAreListedBeforeInstancesExist() throws Exception {
        JsonNode list = call("qom-list-types", "{\"implements\": \"user-creatable\"}");
        assertEquals("test-mem", list.get(0).get("name").asText());
        JsonNode props = call("qom-list-properties", "{\"typename\": \"test-mem\"}");
        assertEquals("size", props.get(0).get("name").asText());
        assertEquals("size", props.get(0).get("type").asText());
        assertEquals("Parameter 'typename' expects device type", fails("device-list-properties", "{\"typename\": \"test-mem\"}").getMessage());
    }

    @Test void introspectionFollowsInstalledModules() throws Exception {
        Set<String> before = names(call("query-qmp-schema", null));
        assertTrue(before.containsAll(Set.of("qom-get", "query-qmp-schema", "ObjectPropertyInfo", "str", "int", "DEVICE_DELETED")));
        JsonNode cmd = find(call("query-qmp-schema", null), "qom-list");
        assertEquals("command", cmd.get("meta-type").asText());
        assertEquals("[ObjectPropertyInfo]", cmd.get("ret-type").asText());
        JsonNode args = find(call("query-qmp-schema", null), cmd.get("arg-type").asText());
        assertEquals("path", args.get("members").get(0).get("name").asText());
        Object key = new Object();
        layer.add(key, new CommandModule() {
            public String schema() { return "[{\"command\": \"x-hello\", \"data\": {\"*who\": \"str\"}, \"returns\": \"str\"}]"; }
            public Map<String, CommandHandler> handlers() {
                return Map.of("x-hello", (a, c) -> com.fasterxml.jackson.databind.node.TextNode.valueOf("hello " + a.str("who", "world")));
            }
        }, "plugin");
        assertEquals("hello you", call("x-hello", "{\"who\": \"you\"}").asText());
        assertTrue(names(call("query-qmp-schema", null)).contains("x-hello"));
        assertTrue(names(call("query-commands", null)).contains("x-hello"));
        layer.remove(key);
        assertFalse(names(call("query-qmp-schema", null)).contains("x-hello"));
        assertEquals(ErrorClass.CommandNotFound, fails("x-hello", "{}").errorClass());
    }

    /** A module that arrives while the container is still starting: what the deferred front-ends are. */
    private static CommandModule helloModule() {
        return new CommandModule() {
            public String schema() { return "[{\"command\": \"x-hello\", \"returns\": \"str\"}]"; }
            public Map<String, CommandHandler> handlers() {
                return Map.of("x-hello", (a, c) -> com.fasterxml.jackson.databind.node.TextNode.valueOf("hello"));
            }
        };
    }

    @Test void whileBundlesStartAnUnknownCommandAndTheListingsWaitForThemButOthersDoNot() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
        layer.setStartupWait(wanted -> {
            waits.incrementAndGet();
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        });
        // a command that is installed runs at once, without waiting
        assertEquals("container", call("qom-get", "{\"path\": \"/machine\", \"property\": \"type\"}").asText());
        assertEquals(0, waits.get());

        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var hello = pool.submit(() -> call("x-hello", null));
            var commands = pool.submit(() -> names(call("query-commands", null)));
            while (waits.get() < 2) Thread.sleep(1);
            assertFalse(hello.isDone() || commands.isDone(), "both wait while the start is pending");
            layer.add(new Object(), helloModule(), "deferred front-end");
            started.countDown();
            assertEquals("hello", hello.get(10, java.util.concurrent.TimeUnit.SECONDS).asText());
            assertTrue(commands.get(10, java.util.concurrent.TimeUnit.SECONDS).contains("x-hello"),
                    "the listing is the fully started container's");
        } finally {
            pool.shutdownNow();
        }
        // once started, an unknown command is still an error (after the wait returns at once)
        assertEquals(ErrorClass.CommandNotFound, fails("no-such", "{}").errorClass());
    }

    /**
     * A command that is missing while bundles start is asked for by name, so the start can bring the one bundle that
     * declares it; only when that does not bring it (nobody declares it) is the whole start asked for.
     */
    @Test void aMissingCommandIsAskedForByNameAndTheWholeStartOnlyWhenThatDoesNotBringIt() throws Exception {
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        layer.setStartupWait(wanted -> {
            asked.add(String.valueOf(wanted));
            if (!"x-hello".equals(wanted)) return false;
            // the bundle is started, its module comes a little later (as a component's service may)
            new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                layer.add(new Object(), helloModule(), "front-end started for it");
            }).start();
            return true;
        });
        assertEquals("hello", call("x-hello", null).asText());
        assertEquals(List.of("x-hello"), asked, "the bundle that declares it came alone");
        assertEquals(ErrorClass.CommandNotFound, fails("no-such", "{}").errorClass());
        assertEquals(List.of("x-hello", "no-such", "null"), asked, "a command nobody declares asks for the whole start");
        names(call("query-commands", null));
        assertEquals("null", asked.get(asked.size() - 1), "a listing asks for the whole start");
    }

    /**
     * A listener that takes a lock of its own and then reads the layer (as the Gogo functions do), while another
     * thread holds that lock and reads the layer too, as a module is added on a third: the layer tells its
     * listeners without holding its own lock, so this ends (it used to deadlock when bundles started in parallel).
     */
    @Test void aListenerThatLocksAndReadsTheLayerNeverDeadlocksWithAModuleBeingAdded() throws Exception {
        Object own = new Object();
        layer.addChangeListener(() -> {
            synchronized (own) {
                layer.commands();
            }
        });
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var reader = pool.submit(() -> {
                synchronized (own) {
                    holding.countDown();
                    Thread.sleep(200);   // the module is being added meanwhile, its listener waiting for `own`
                    return layer.commands().size();
                }
            });
            holding.await();
            var adder = pool.submit(() -> layer.add(new Object(), helloModule(), "a bundle starting"));
            reader.get(10, java.util.concurrent.TimeUnit.SECONDS);
            adder.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(names(call("query-commands", null)).contains("x-hello"));
    }

    @Test void aModuleWhoseSchemaAndHandlersDisagreeIsRefused() {
        QomException e = assertThrows(QomException.class, () -> layer.add(new Object(), new CommandModule() {
            public String schema() { return "[{\"command\": \"x-a\"}]"; }
            public Map<String, CommandHandler> handlers() { return Map.of(); }
        }, "broken"));
        assertTrue(e.getMessage().contains("no handler"), e.getMessage());
    }

    @Test void deepNestingIsAnErrorNotACrash() throws Exception {
        String deep = "[".repeat(500) + "]".repeat(500);
        QomException e = fails("qom-set", "{\"path\": \"/machine\", \"property\": \"x\", \"value\": " + deep + "}");
        assertTrue(e.getMessage().contains("nested too deeply"), e.getMessage());
    }

    private static Set<String> names(JsonNode list) {
        Set<String> out = new HashSet<>();
        for (JsonNode n : list) out.add(n.get("name").asText());
        return out;
    }

    private static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) if (n.get("name").asText().equals(name)) return n;
        throw new AssertionError(name + " not in schema");
    }
}
