package org.orrery.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QMP arguments a careless or hostile client sends, to a real {@code ./orrery} over its socket: for every
 * property of every type in qom-list-types, values of every wrong kind (huge and negative numbers,
 * fractions, strings, booleans, null, lists, objects, a 100,000-character string) through object-add,
 * device_add and, as text, the human monitor's device_add/object_add; every argument of every command in
 * the schema given a value of the wrong JSON type; and qom-set of every property of every object in the
 * tree. Each request must get exactly one reply, an error or a return, within seconds; nothing may be
 * printed (no stack trace, no log record); and afterwards the machine still answers, in prelaunch.
 */
@Tag("e2e")
class QmpFuzzE2ETest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REPLY_LIMIT = Duration.ofSeconds(10);
    /** Commands that would end or reshape the session rather than answer it. */
    private static final Set<String> LEFT_OUT = Set.of("quit", "qmp_capabilities", "system_powerdown", "system_reset",
            "x-exit-preconfig", "cont", "stop", "human-monitor-command");

    @TempDir Path tmp;

    /** Values of every JSON kind, the awkward ends of each, and some valid-looking ones that are too big. */
    static List<JsonNode> badValues() {
        List<JsonNode> v = new ArrayList<>();
        v.add(F.numberNode(-1));
        v.add(F.numberNode(Long.MIN_VALUE));
        v.add(F.numberNode(new BigInteger("-9223372036854775809")));
        v.add(F.numberNode(new BigInteger("18446744073709551615")));
        v.add(F.numberNode(new BigInteger("18446744073709551616")));
        v.add(F.numberNode(new BigInteger("123456789012345678901234567890123456789")));
        v.add(F.numberNode(214748364800L));          // 200 GiB
        v.add(F.numberNode(1.5));
        v.add(F.numberNode(1e308));
        v.add(F.numberNode(0));
        v.add(F.textNode("abc"));
        v.add(F.textNode(""));
        v.add(F.textNode("-1"));
        v.add(F.textNode("200G"));
        v.add(F.textNode("x".repeat(100_000)));
        v.add(F.booleanNode(true));
        v.add(F.nullNode());
        v.add(F.arrayNode());
        v.add(F.arrayNode().add(1).add("a"));
        v.add(F.objectNode());
        v.add(F.objectNode().put("a", 1));
        return v;
    }

    /** The same, as the human monitor's key=value text. */
    static List<String> badTexts() {
        return List.of("-1", "abc", "", "1.5", "200G", "256Q", "18446744073709551616", "1e999999999", "on,,off", "x".repeat(20_000));
    }

    /** A QMP session read line by line; events are counted and skipped. */
    static final class Session implements AutoCloseable {
        private final SocketChannel channel;
        private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        int events, errors, monitorErrors;

        Session(Path socket) throws IOException {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            Thread.ofVirtual().start(() -> {
                try {
                    for (String line; (line = in.readLine()) != null; ) replies.add(line);
                } catch (IOException closed) {
                    // the session ended
                }
                replies.add("<closed>");
            });
        }

        /** Sends one request and returns its one reply (a return or an error); fails on silence or a closed session. */
        JsonNode call(String request) throws Exception {
            ByteBuffer b = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) channel.write(b);
            while (true) {
                String line = replies.poll(REPLY_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                if (line == null) throw new AssertionError("no reply within " + REPLY_LIMIT + " to " + cut(request));
                if (line.equals("<closed>")) throw new AssertionError("the session was closed after " + cut(request));
                JsonNode m = JSON.readTree(line);
                if (m.has("event")) { events++; continue; }
                if (m.has("QMP")) continue;
                if (!m.has("return") && !m.has("error")) throw new AssertionError("not a reply: " + cut(line) + " to " + cut(request));
                if (m.has("error")) errors++;
                else if (m.path("return").isTextual() && m.path("return").asText().startsWith("Error")) monitorErrors++;
                return m;
            }
        }

        JsonNode call(String command, ObjectNode arguments) throws Exception {
            ObjectNode r = F.objectNode().put("execute", command);
            if (arguments != null) r.set("arguments", arguments);
            return call(JSON.writeValueAsString(r));
        }

        /** A command that must succeed (the fuzz's own bookkeeping). */
        JsonNode ok(String command, ObjectNode arguments) throws Exception {
            JsonNode r = call(command, arguments);
            if (!r.has("return")) throw new AssertionError(command + " " + arguments + " failed: " + r);
            return r.get("return");
        }

        @Override public void close() throws IOException { channel.close(); }
    }

    static String cut(String s) { return s.length() > 300 ? s.substring(0, 300) + "...(" + s.length() + " chars)" : s; }

    @Test void everyBadArgumentGetsOneReplyAndTheMachineGoesOn() throws Exception {
        Path socket = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-S", "-nographic", "-serial", "null",
                "-monitor", "none", "-qmp", "unix:" + socket + ",server=on,wait=off"))) {
            o.qmp(socket).close();   // waits for the socket
            try (Session q = new Session(socket)) {
                q.call("{\"execute\":\"qmp_capabilities\"}");
                int[] tried = new int[1];
                Counter count = () -> tried[0]++;
                long t0 = System.nanoTime();
                fuzzTypes(q, count);
                fuzzCommands(q, count);
                fuzzTree(q, count);
                double seconds = (System.nanoTime() - t0) / 1e9;
                // the machine is whole: it answers, in the state it was left in, and nothing was printed
                assertEquals("prelaunch", q.ok("query-status", null).path("status").asText());
                assertEquals(128L << 20, q.ok("qom-get", F.objectNode().put("path", "/machine").put("property", "ram-size")).asLong());
                assertTrue(o.process.isAlive());
                Thread.sleep(200);
                assertEquals("", o.output(), "nothing may be printed while bad input is refused");
                System.out.printf("QMP fuzz: %d inputs tried in %.1f s, each answered with one reply (%d QMP errors, %d human-monitor"
                        + " errors, the rest accepted); %d events seen%n", tried[0], seconds, q.errors, q.monitorErrors, q.events);
            }
        }
    }

    interface Counter { void tried(); }

    /** object-add, device_add and their human-monitor forms with each bad value for each property of each type. */
    private void fuzzTypes(Session q, Counter count) throws Exception {
        int id = 0;
        for (JsonNode t : q.ok("qom-list-types", F.objectNode().put("abstract", false))) {
            String type = t.path("name").asText();
            boolean creatable = implementsType(q, type, "user-creatable");
            boolean device = implementsType(q, type, "device") && !implementsType(q, type, "machine") && !implementsType(q, type, "cpu");
            if (!creatable && !device) continue;
            JsonNode props = q.call("qom-list-properties", F.objectNode().put("typename", type)).path("return");
            for (JsonNode p : props) {
                String prop = p.path("name").asText();
                if (prop.equals("id") || prop.equals("qom-type") || prop.equals("driver") || p.path("type").asText().startsWith("child<")) continue;
                for (JsonNode v : badValues()) {
                    String oid = "fz" + id++;
                    ObjectNode a = F.objectNode().put(creatable ? "qom-type" : "driver", type).put("id", oid);
                    a.set(prop, v);
                    JsonNode r = q.call(creatable ? "object-add" : "device_add", a);
                    count.tried();
                    if (r.has("return")) q.ok(creatable ? "object-del" : "device_del", F.objectNode().put("id", oid));
                }
                for (String text : badTexts()) {
                    String oid = "fh" + id++;
                    String line = (creatable ? "object_add " + type + ",id=" + oid : "device_add " + type + ",id=" + oid) + "," + prop + "=" + text;
                    JsonNode r = q.ok("human-monitor-command", F.objectNode().put("command-line", line));
                    count.tried();
                    // the monitor answers in text; accepted ones are taken back so the next start clean
                    if (r.asText().isEmpty()) q.call(creatable ? "object-del" : "device_del", F.objectNode().put("id", oid));
                }
            }
        }
    }

    private final java.util.Map<String, Set<String>> ancestry = new java.util.HashMap<>();

    private boolean implementsType(Session q, String type, String parent) throws Exception {
        Set<String> names = ancestry.get(parent);
        if (names == null) {
            names = new LinkedHashSet<>();
            for (JsonNode t : q.ok("qom-list-types", F.objectNode().put("implements", parent).put("abstract", true)))
                names.add(t.path("name").asText());
            ancestry.put(parent, names);
        }
        return names.contains(type);
    }

    /** Every argument of every command in the schema given each value of a JSON type it does not take. */
    private void fuzzCommands(Session q, Counter count) throws Exception {
        JsonNode schema = q.ok("query-qmp-schema", null);
        java.util.Map<String, JsonNode> byName = new java.util.HashMap<>();
        for (JsonNode e : schema) byName.put(e.path("name").asText(), e);
        for (JsonNode e : schema) {
            if (!e.path("meta-type").asText().equals("command") || LEFT_OUT.contains(e.path("name").asText())) continue;
            JsonNode args = byName.get(e.path("arg-type").asText());
            if (args == null || !args.has("members")) continue;
            for (JsonNode member : args.get("members")) {
                String jsonType = jsonTypeOf(byName.get(member.path("type").asText()));
                for (JsonNode v : badValues()) {
                    if (jsonType == null || jsonType.equals("value") || kindOf(v).equals(jsonType)) continue;
                    ObjectNode a = F.objectNode();
                    a.set(member.path("name").asText(), v);
                    q.call(e.path("name").asText(), a);
                    count.tried();
                }
            }
        }
    }

    /** The JSON kind a schema type takes: "number", "string", "boolean", "array", "object", or null when any. */
    private static String jsonTypeOf(JsonNode type) {
        if (type == null) return null;
        return switch (type.path("meta-type").asText()) {
            case "builtin" -> switch (type.path("json-type").asText()) {
                case "int", "number" -> "number";
                case "string" -> "string";
                case "boolean" -> "boolean";
                default -> null;
            };
            case "enum" -> "string";
            case "array" -> "array";
            case "object" -> "object";
            default -> null;
        };
    }

    private static String kindOf(JsonNode v) {
        if (v.isNumber()) return "number";
        if (v.isTextual()) return "string";
        if (v.isBoolean()) return "boolean";
        if (v.isArray()) return "array";
        if (v.isObject()) return "object";
        return "null";
    }

    /** qom-set of each bad value on every property of every object the machine has. */
    private void fuzzTree(Session q, Counter count) throws Exception {
        List<String> paths = new ArrayList<>();
        walk(q, "/", paths);
        for (String path : paths) {
            for (JsonNode p : q.ok("qom-list", F.objectNode().put("path", path))) {
                String prop = p.path("name").asText();
                if (p.path("type").asText().startsWith("child<")) continue;
                JsonNode before = q.call("qom-get", F.objectNode().put("path", path).put("property", prop));
                for (JsonNode v : badValues()) {
                    ObjectNode a = F.objectNode().put("path", path).put("property", prop);
                    a.set("value", v);
                    JsonNode r = q.call("qom-set", a);
                    count.tried();
                    // an accepted value is put back, so the machine stays the one it was
                    if (r.has("return") && before.has("return")) {
                        ObjectNode back = F.objectNode().put("path", path).put("property", prop);
                        back.set("value", before.get("return"));
                        q.call("qom-set", back);
                    }
                }
            }
        }
    }

    private static void walk(Session q, String path, List<String> out) throws Exception {
        out.add(path);
        for (JsonNode p : q.ok("qom-list", F.objectNode().put("path", path)))
            if (p.path("type").asText().startsWith("child<")) walk(q, (path.equals("/") ? "" : path) + "/" + p.path("name").asText(), out);
    }
}
