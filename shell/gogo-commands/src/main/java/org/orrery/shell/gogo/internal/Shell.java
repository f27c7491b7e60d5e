package org.orrery.shell.gogo.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the Gogo commands share: finding the machine, calling the command layer, and printing results readably. */
final class Shell {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Session SESSION = () -> "gogo shell";

    private final CommandLayer layer;
    private final MachineManager machines;

    Shell(CommandLayer layer, MachineManager machines) {
        this.layer = layer;
        this.machines = machines;
    }

    CommandLayer layer() { return layer; }

    /** The machine commands apply to: the only one, else the one named "main". */
    Machine machine() {
        List<Machine> all = machines == null ? List.of() : machines.machines();
        if (all.isEmpty()) throw new CommandFailed("no machine exists (start Orrery with -machine TYPE, for example -machine virt)");
        if (all.size() == 1) return all.get(0);
        return machines.find("main").orElse(all.get(0));
    }

    JsonNode call(String command, Value args) {
        try {
            return layer.execute(machine().tree(), command, args, SESSION);
        } catch (QomException e) {
            throw new CommandFailed(e.getMessage());
        }
    }

    JsonNode callText(String command, ObjectNode args) { return call(command, args == null ? null : Value.ofText("arguments", args)); }

    JsonNode callJson(String command, ObjectNode args) { return call(command, args == null ? null : Value.ofJson("arguments", args)); }

    /**
     * Parses Gogo arguments into command arguments: {@code key=value} pairs (a value that looks like JSON, an
     * object, array, string, number or boolean, is parsed as JSON, then read as text like everything else), or
     * one JSON object for the whole argument set (strict JSON dialect).
     */
    static Value arguments(List<Object> args) {
        if (args.isEmpty()) return null;
        if (args.size() == 1 && args.get(0) instanceof CharSequence s && s.toString().strip().startsWith("{")) {
            try {
                return Value.ofJson("arguments", JSON.readTree(s.toString()));
            } catch (JsonProcessingException e) {
                throw new CommandFailed("the arguments are not valid JSON: " + e.getOriginalMessage());
            }
        }
        ObjectNode o = F.objectNode();
        for (Object a : args) {
            String s = String.valueOf(a);
            int eq = s.indexOf('=');
            if (eq <= 0) throw new CommandFailed("expected key=value, got '" + s + "'");
            String key = s.substring(0, eq);
            String value = s.substring(eq + 1);
            if (o.has(key)) throw new CommandFailed("argument '" + key + "' given twice");
            JsonNode v = textTree(value);
            if (v != null) o.set(key, v);
        }
        return Value.ofText("arguments", o);
    }

    /** A value as a tree of strings (the text dialect); JSON-looking values keep their structure. Null for JSON null. */
    static JsonNode textTree(String value) {
        String t = value.strip();
        boolean jsonish = t.startsWith("{") || t.startsWith("[") || t.startsWith("\"");
        if (!jsonish) return F.textNode(value);
        try {
            return strings(JSON.readTree(t));
        } catch (JsonProcessingException e) {
            return F.textNode(value);
        }
    }

    private static JsonNode strings(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isObject()) {
            ObjectNode o = F.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = strings(e.getValue());
                if (v != null) o.set(e.getKey(), v);
            }
            return o;
        }
        if (n.isArray()) {
            var a = F.arrayNode();
            for (JsonNode e : n) {
                JsonNode v = strings(e);
                if (v != null) a.add(v);
            }
            return a;
        }
        return F.textNode(n.asText());
    }

    /** A result as a person reads it: nothing for {}, text as it is, a table for a list of flat objects, else pretty JSON. */
    static String format(JsonNode r) {
        if (r == null || r.isNull() || (r.isObject() && r.isEmpty())) return null;
        if (r.isTextual()) return r.textValue();
        if (r.isValueNode()) return r.asText();
        if (r.isArray() && !r.isEmpty() && isFlatObjects(r)) return table(r);
        if (r.isArray() && r.isEmpty()) return "(none)";
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r);
        } catch (JsonProcessingException e) {
            return r.toString();
        }
    }

    private static boolean isFlatObjects(JsonNode a) {
        for (JsonNode e : a) {
            if (!e.isObject()) return false;
            for (JsonNode v : e) if (v.isContainerNode()) return false;
        }
        return true;
    }

    static String table(JsonNode rows) {
        Set<String> cols = new LinkedHashSet<>();
        for (JsonNode r : rows) r.fieldNames().forEachRemaining(cols::add);
        List<String> names = new ArrayList<>(cols);
        List<String[]> cells = new ArrayList<>();
        cells.add(names.toArray(String[]::new));
        for (JsonNode r : rows) {
            String[] c = new String[names.size()];
            for (int i = 0; i < c.length; i++) c[i] = r.has(names.get(i)) ? r.get(names.get(i)).asText() : "";
            cells.add(c);
        }
        return columns(cells);
    }

    /** Left-aligned columns separated by two spaces; the last column is not padded. */
    static String columns(List<String[]> rows) {
        int n = rows.isEmpty() ? 0 : rows.get(0).length;
        int[] w = new int[n];
        for (String[] r : rows) for (int i = 0; i < n; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < n; i++) {
                line.append(r[i]);
                if (i < n - 1) line.append(" ".repeat(w[i] - r[i].length() + 2));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
