package org.orrery.command;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * {@code "allow-preconfig": true}, {@code "any-thread": true}, {@code "journal": true} (recorded for saving the
 * machine as a configuration file).
 */
public final class SchemaParser {
    /**
     * Jackson's streaming parser, not an ObjectMapper: the command layer is the first bundle to start and every
     * other waits for it, and building a mapper (with its first tree read) was the most expensive step of its
     * start (ARCHITECTURE.md, Start-up). The few lines of {@link #tree} do what readTree did here.
     */
    private static final JsonFactory JSON = JsonFactory.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SchemaParser() { }

    public static List<SchemaEntity> parse(String text, String origin) {
        JsonNode root;
        try (JsonParser parser = JSON.createParser(text)) {
            root = parser.nextToken() == null ? null : tree(parser);
        } catch (IOException e) {
            throw new QomException("schema of " + origin + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray()) throw new QomException("schema of " + origin + " must be a JSON array");
        List<SchemaEntity> out = new ArrayList<>();
        for (JsonNode def : root) out.addAll(parseDefinition(def, origin));
        return out;
    }

    /** The value at the parser's current token, as a tree (a repeated key keeps its last value, as readTree does). */
    private static JsonNode tree(JsonParser p) throws IOException {
        JsonToken token = p.currentToken();
        if (token == null) throw new IOException("unexpected end of input");
        switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    object.set(name, tree(p));
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) array.add(tree(p));
                return array;
            }
            case VALUE_STRING -> { return NODES.textNode(p.getText()); }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> { return NODES.numberNode(p.getDoubleValue()); }
            case VALUE_TRUE -> { return NODES.booleanNode(true); }
            case VALUE_FALSE -> { return NODES.booleanNode(false); }
            case VALUE_NULL -> { return NODES.nullNode(); }
            default -> throw new IOException("unexpected " + token + " at " + p.currentLocation());
        }
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
            out.add(new SchemaEntity.Command(name, args, returns, def.path("extra-arguments").asBoolean(false),
                    def.path("allow-preconfig").asBoolean(false), def.path("any-thread").asBoolean(false),
                    def.path("journal").asBoolean(false), doc, origin));
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
