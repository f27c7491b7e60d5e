package org.orrery.command;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads schema files. A schema file is a JSON array (comments allowed) of definitions in QAPI's spirit:
 * <pre>
 * { "struct": "ObjectPropertyInfo", "doc": "...", "data": { "name": "str", "*description": "str" } }
 * { "enum": "RunState", "data": [ "prelaunch", "running", "paused" ] }
 * { "command": "qom-get", "doc": "...", "data": { "path": {"type": "str", "doc": "..."}, "property": "str" },
 *   "returns": "any" }
 * { "event": "STOP", "doc": "..." }
 * </pre>
 * A leading {@code *} marks an optional member. A command's {@code data} may name a struct instead.
 * Command flags: {@code "extra-arguments": true} (members beyond the declared ones pass through),
 * {@code "allow-preconfig": true}, {@code "any-thread": true} or {@code "harts-run": true} (see
 * {@link SchemaEntity.Execution}), {@code "journal": true} (recorded for saving the machine as a configuration file).
 */
public final class SchemaParser {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.ALLOW_COMMENTS).build();

    private SchemaParser() { }

    public static List<SchemaEntity> parse(String text, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new QomException("schema of " + origin + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray()) throw new QomException("schema of " + origin + " must be a JSON array");
        List<SchemaEntity> out = new ArrayList<>();
        for (JsonNode def : root) out.addAll(parseDefinition(def, origin));
        return out;
    }

    private static List<SchemaEntity> parseDefinition(JsonNode def, String origin) {
        String doc = def.path("doc").asText(null);
        List<SchemaEntity> out = new ArrayList<>();
        if (def.has("struct")) {
            String name = def.get("struct").textValue();
            out.add(new SchemaEntity.Struct(name, def.path("base").asText(null), members(def.path("data"), name), doc, origin));
        } else if (def.has("enum")) {
            List<String> values = new ArrayList<>();
            for (JsonNode v : def.path("data")) values.add(v.isObject() ? v.path("name").asText() : v.asText());
            out.add(new SchemaEntity.Enum(def.get("enum").textValue(), values, doc, origin));
        } else if (def.has("alternate")) {
            String name = def.get("alternate").textValue();
            out.add(new SchemaEntity.Alternate(name, members(def.path("data"), name), doc, origin));
        } else if (def.has("command")) {
            String name = def.get("command").textValue();
            String args = implicitStruct(def.get("data"), name + "-arg", origin, out);
            TypeRef returns = def.has("returns") ? TypeRef.parse(def.get("returns"), name) : null;
            boolean anyThread = def.path("any-thread").asBoolean(false), hartsRun = def.path("harts-run").asBoolean(false);
            if (anyThread && hartsRun) throw new QomException("schema of " + origin + ": command " + name + " is both any-thread and harts-run");
            SchemaEntity.Execution execution = anyThread ? SchemaEntity.Execution.ANY_THREAD
                    : hartsRun ? SchemaEntity.Execution.HARTS_RUN : SchemaEntity.Execution.HARTS_STOPPED;
            out.add(new SchemaEntity.Command(name, args, returns, def.path("extra-arguments").asBoolean(false),
                    def.path("allow-preconfig").asBoolean(false), execution, def.path("journal").asBoolean(false), doc, origin));
        } else if (def.has("event")) {
            String name = def.get("event").textValue();
            String data = implicitStruct(def.get("data"), name + "-arg", origin, out);
            out.add(new SchemaEntity.Event(name, data, doc, origin));
        } else {
            throw new QomException("schema of " + origin + ": unknown definition " + def);
        }
        return out;
    }

    /** Inline member maps become implicit structs named {@code <command>-arg}; a string names a struct. */
    private static String implicitStruct(JsonNode data, String implicitName, String origin, List<SchemaEntity> out) {
        if (data == null || data.isNull()) return null;
        if (data.isTextual()) return data.textValue();
        out.add(new SchemaEntity.Struct(implicitName, null, members(data, implicitName), null, origin));
        return implicitName;
    }

    private static List<Member> members(JsonNode data, String where) {
        List<Member> out = new ArrayList<>();
        if (data == null || data.isMissingNode()) return out;
        if (!data.isObject()) throw new QomException("schema: members of " + where + " must be an object");
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            boolean optional = key.startsWith("*");
            String name = optional ? key.substring(1) : key;
            JsonNode t = e.getValue();
            String mdoc = null;
            if (t.isObject()) {
                mdoc = t.path("doc").asText(null);
                t = t.get("type");
            }
            out.add(new Member(name, TypeRef.parse(t, where + "." + name), optional, mdoc));
        }
        return out;
    }
}
