package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;
import org.orrery.command.Member;
import org.orrery.command.SchemaEntity;
import org.orrery.command.TypeRef;

import java.lang.reflect.Array;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Schema types as D-Bus types, and values both ways. {@code int*} → {@code x}, {@code uint*}/{@code size}
 * → {@code t}, {@code bool} → {@code b}, {@code str} and enums → {@code s}, {@code number} → {@code d},
 * lists → {@code a…}, structs → {@code a{sv}}, {@code any} and alternates → {@code v}. Values leave as the
 * Java objects dbus-java marshals for an explicit signature and arrive as what it demarshals.
 */
final class DbusTypes {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String DICT = "a{sv}";
    /** The deepest value accepted from a client; D-Bus itself allows 64 levels of containers. */
    static final int MAX_DEPTH = 64;
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private final SchemaView schema;

    DbusTypes(SchemaView schema) { this.schema = schema; }

    // ---- signatures ----

    String signature(TypeRef t) {
        if (t == null) return "";
        if (t.isArray()) return "a" + signature(t.element());
        return switch (t.name()) {
            case "str" -> "s";
            case "int", "int8", "int16", "int32", "int64" -> "x";
            case "uint8", "uint16", "uint32", "uint64", "size" -> "t";
            case "number" -> "d";
            case "bool" -> "b";
            case "any", "null" -> "v";
            default -> switch (schema.entity(t.name()).orElse(null)) {
                case SchemaEntity.Enum e -> "s";
                case SchemaEntity.Struct s -> DICT;
                case null, default -> "v";
            };
        };
    }

    /** A struct's members, its base's first. */
    List<Member> members(String struct) {
        List<Member> out = new ArrayList<>();
        if (struct == null) return out;
        collect(struct, out, 0);
        return out;
    }

    private void collect(String struct, List<Member> out, int depth) {
        if (depth > 16) return;
        if (schema.entity(struct).orElse(null) instanceof SchemaEntity.Struct s) {
            if (s.base() != null) collect(s.base(), out, depth + 1);
            out.addAll(s.members());
        }
    }

    /** A schema type name as written in a type string ({@code str}, {@code [int]}) to a reference. */
    static TypeRef parseType(String s) {
        if (s.startsWith("[") && s.endsWith("]")) return TypeRef.arrayOf(parseType(s.substring(1, s.length() - 1)));
        return TypeRef.named(s);
    }

    // ---- JSON → D-Bus ----

    /** A value for a D-Bus argument of schema type {@code t}, marshalled with {@link #signature(TypeRef)}. */
    Object toDbus(JsonNode v, TypeRef t) {
        if (t == null) return variant(v);
        if (t.isArray()) {
            List<Object> out = new ArrayList<>();
            if (v != null && v.isArray()) for (JsonNode e : v) out.add(toDbus(e, t.element()));
            return out;
        }
        return switch (signature(t)) {
            case "s" -> v == null || v.isNull() ? "" : v.isTextual() ? v.textValue() : v.toString();
            case "x" -> v == null ? 0L : v.asLong();
            case "t" -> unsigned(v);
            case "d" -> v == null ? 0.0 : v.asDouble();
            case "b" -> v != null && v.asBoolean();
            case DICT -> struct(v, t.name());
            default -> variant(v);
        };
    }

    private Map<String, Variant<?>> struct(JsonNode v, String struct) {
        Map<String, Variant<?>> out = new LinkedHashMap<>();
        if (v == null || !v.isObject()) return out;
        Map<String, Member> byName = new LinkedHashMap<>();
        for (Member m : members(struct)) byName.put(m.name(), m);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) continue;
            Member m = byName.get(e.getKey());
            out.put(e.getKey(), m == null ? variant(e.getValue()) : wrap(toDbus(e.getValue(), m.type()), signature(m.type())));
        }
        return out;
    }

    /** A value as a variant of signature {@code sig} (a value that is a variant already is one). */
    static Variant<?> wrap(Object value, String sig) {
        if (value instanceof Variant<?> v && sig.equals("v")) return v;
        return new Variant<>(value, sig);
    }

    private static UInt64 unsigned(JsonNode v) {
        if (v == null || !v.isNumber()) return new UInt64(0);
        BigInteger b = v.bigIntegerValue();
        if (b.signum() < 0) b = b.add(TWO_64);
        if (b.signum() < 0 || b.bitLength() > 64) b = BigInteger.ZERO;
        return new UInt64(b);
    }

    /** An untyped value ('any') as the variant that fits it best. */
    static Variant<?> variant(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return new Variant<>(List.of(), "av");
        if (v.isTextual()) return new Variant<>(v.textValue(), "s");
        if (v.isBoolean()) return new Variant<>(v.booleanValue(), "b");
        if (v.isIntegralNumber()) {
            if (v.canConvertToLong()) return new Variant<>(v.longValue(), "x");
            BigInteger b = v.bigIntegerValue();
            if (b.signum() > 0 && b.bitLength() <= 64) return new Variant<>(new UInt64(b), "t");
            return new Variant<>(v.doubleValue(), "d");
        }
        if (v.isNumber()) return new Variant<>(v.doubleValue(), "d");
        if (v.isObject()) return new Variant<>(dict(v), DICT);
        // arrays: typed when every element has the same simple kind
        String kind = null;
        for (JsonNode e : v) {
            String k = e.isTextual() ? "s" : e.isBoolean() ? "b" : e.isIntegralNumber() && e.canConvertToLong() ? "x"
                    : e.isFloatingPointNumber() ? "d" : e.isObject() ? DICT : "v";
            if (kind == null) kind = k; else if (!kind.equals(k)) { kind = "v"; break; }
        }
        if (kind == null) kind = "v";
        List<Object> out = new ArrayList<>();
        for (JsonNode e : v) {
            switch (kind) {
                case "s" -> out.add(e.textValue());
                case "b" -> out.add(e.booleanValue());
                case "x" -> out.add(e.longValue());
                case "d" -> out.add(e.doubleValue());
                case DICT -> out.add(dict(e));
                default -> out.add(variant(e));
            }
        }
        return new Variant<>(out, "a" + kind);
    }

    private static Map<String, Variant<?>> dict(JsonNode v) {
        Map<String, Variant<?>> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), variant(e.getValue()));
        }
        return out;
    }

    // ---- D-Bus → JSON ----

    /** What dbus-java demarshalled, as JSON; variants are unwrapped. Throws {@link DbusError} when too deep. */
    static JsonNode toJson(Object o) { return toJson(o, 0); }

    private static JsonNode toJson(Object o, int depth) {
        if (depth > MAX_DEPTH) throw DbusError.invalidArgs("Value nested more than " + MAX_DEPTH + " levels deep");
        return switch (o) {
            case null -> F.nullNode();
            case Variant<?> v -> toJson(v.getValue(), depth + 1);
            case String s -> F.textNode(s);
            case Boolean b -> F.booleanNode(b);
            case Byte b -> F.numberNode(b & 0xff);
            case Short s -> F.numberNode(s);
            case Integer i -> F.numberNode(i);
            case Long l -> F.numberNode(l);
            case UInt16 u -> F.numberNode(u.intValue());
            case UInt32 u -> F.numberNode(u.longValue());
            case UInt64 u -> F.numberNode(u.value());
            case Double d -> F.numberNode(d);
            case Float f -> F.numberNode(f.doubleValue());
            case DBusPath p -> F.textNode(p.getPath());
            case Map<?, ?> m -> {
                ObjectNode out = F.objectNode();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    JsonNode k = toJson(e.getKey(), depth + 1);
                    out.set(k.isTextual() ? k.textValue() : k.toString(), toJson(e.getValue(), depth + 1));
                }
                yield out;
            }
            case List<?> l -> {
                ArrayNode out = F.arrayNode();
                for (Object e : l) out.add(toJson(e, depth + 1));
                yield out;
            }
            default -> {
                if (o.getClass().isArray()) {
                    ArrayNode out = F.arrayNode();
                    int n = Array.getLength(o);
                    for (int i = 0; i < n; i++) out.add(toJson(Array.get(o, i), depth + 1));
                    yield out;
                }
                yield F.textNode(o.toString());
            }
        };
    }
}
