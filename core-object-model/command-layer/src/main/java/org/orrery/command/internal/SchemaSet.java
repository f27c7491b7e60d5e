package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.Arguments;
import org.orrery.command.Member;
import org.orrery.command.SchemaEntity;
import org.orrery.command.TypeRef;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable merge of every installed schema: lookup by name, argument validation (the input
 * visitor applied to schema types) and introspection in QEMU's SchemaInfo form.
 */
final class SchemaSet {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final Set<String> BUILTINS = Set.of("str", "int", "int8", "int16", "int32", "int64", "uint8", "uint16",
            "uint32", "uint64", "size", "number", "bool", "any", "null");
    private static final int MAX_DEPTH = 64;

    private final Map<String, SchemaEntity> entities;
    private final Map<String, String> problems;

    SchemaSet(List<SchemaEntity> all) {
        Map<String, SchemaEntity> byName = new LinkedHashMap<>();
        Map<String, String> why = new LinkedHashMap<>();
        for (SchemaEntity e : all) {
            SchemaEntity prior = byName.putIfAbsent(e.name(), e);
            if (prior != null && prior != e)
                why.put(e.name() + " (from " + e.origin() + ")", "already defined by " + prior.origin());
        }
        // drop definitions that refer to types nobody defines (their bundle is missing)
        boolean changed = true;
        while (changed) {
            changed = false;
            for (SchemaEntity e : List.copyOf(byName.values())) {
                String missing = missingReference(e, byName);
                if (missing != null) {
                    byName.remove(e.name());
                    why.put(e.name(), "refers to type '" + missing + "', which no installed bundle defines");
                    changed = true;
                }
            }
        }
        this.entities = byName;
        this.problems = why;
    }

    Map<String, String> problems() { return problems; }

    SchemaEntity get(String name) { return entities.get(name); }

    List<SchemaEntity.Command> commands() {
        List<SchemaEntity.Command> out = new ArrayList<>();
        for (SchemaEntity e : entities.values()) if (e instanceof SchemaEntity.Command c) out.add(c);
        out.sort(Comparator.comparing(SchemaEntity.Command::name));
        return out;
    }

    List<SchemaEntity.Event> events() {
        List<SchemaEntity.Event> out = new ArrayList<>();
        for (SchemaEntity e : entities.values()) if (e instanceof SchemaEntity.Event ev) out.add(ev);
        out.sort(Comparator.comparing(SchemaEntity.Event::name));
        return out;
    }

    private static String missingReference(SchemaEntity e, Map<String, SchemaEntity> byName) {
        List<TypeRef> refs = new ArrayList<>();
        // instanceof, not a type switch: the JDK spins a class for each type switch when it first runs, here on the
        // start's critical path (ARCHITECTURE.md, Start-up)
        if (e instanceof SchemaEntity.Struct s) {
            if (s.base() != null) refs.add(TypeRef.named(s.base()));
            for (Member m : s.members()) refs.add(m.type());
        } else if (e instanceof SchemaEntity.Alternate a) {
            for (Member m : a.members()) refs.add(m.type());
        } else if (e instanceof SchemaEntity.Command c) {
            if (c.arguments() != null) refs.add(TypeRef.named(c.arguments()));
            if (c.returns() != null) refs.add(c.returns());
        } else if (e instanceof SchemaEntity.Event ev) {
            if (ev.data() != null) refs.add(TypeRef.named(ev.data()));
        }
        for (TypeRef r : refs) {
            while (r.isArray()) r = r.element();
            if (!BUILTINS.contains(r.name()) && !byName.containsKey(r.name())) return r.name();
        }
        return null;
    }

    // ---- validation ----

    List<Member> membersOf(String structName) {
        List<Member> out = new ArrayList<>();
        SchemaEntity e = entities.get(structName);
        if (!(e instanceof SchemaEntity.Struct s)) return out;
        if (s.base() != null) out.addAll(membersOf(s.base()));
        out.addAll(s.members());
        return out;
    }

    Arguments validateArguments(SchemaEntity.Command cmd, Value args) {
        Map<String, Value> extra = new LinkedHashMap<>();
        ObjectNode declared = F.objectNode();
        Map<String, Value> given = args == null || args.isNull() ? Map.of() : args.asStruct();
        List<Member> members = cmd.arguments() == null ? List.of() : membersOf(cmd.arguments());
        Set<String> known = new LinkedHashSet<>();
        for (Member m : members) {
            known.add(m.name());
            Value v = given.get(m.name());
            if (v == null || (v.isNull() && m.optional())) {
                if (!m.optional()) throw new QomException("Parameter '" + m.name() + "' is missing");
                continue;
            }
            declared.set(m.name(), read(m.type(), v, 0));
        }
        for (Map.Entry<String, Value> e : given.entrySet()) {
            if (known.contains(e.getKey())) continue;
            if (!cmd.extraArguments()) throw new QomException("Parameter '" + e.getKey() + "' is unexpected");
            extra.put(e.getKey(), e.getValue());
        }
        return new Arguments(declared, extra, args != null && args.isText());
    }

    JsonNode read(TypeRef type, Value v, int depth) {
        if (depth > MAX_DEPTH) throw new QomException("Parameter '" + v.name() + "' is nested too deeply");
        if (type.isArray()) {
            ArrayNode a = F.arrayNode();
            for (Value e : v.asList()) a.add(read(type.element(), e, depth + 1));
            return a;
        }
        String n = type.name();
        switch (n) {
            case "str": return F.textNode(v.asString());
            case "int": case "int64": return F.numberNode(v.asInt(Long.MIN_VALUE, Long.MAX_VALUE, "int"));
            case "int8": return F.numberNode(v.asInt(-128, 127, n));
            case "int16": return F.numberNode(v.asInt(-32768, 32767, n));
            case "int32": return F.numberNode(v.asInt(Integer.MIN_VALUE, Integer.MAX_VALUE, n));
            case "uint8": return F.numberNode(v.asUint(8, n));
            case "uint16": return F.numberNode(v.asUint(16, n));
            case "uint32": return F.numberNode(v.asUint(32, n));
            case "uint64": return unsigned(v.asUint(64, n));
            case "size": return unsigned(v.asSize());
            case "number": return F.numberNode(v.asNumber());
            case "bool": return F.booleanNode(v.asBool());
            case "any": return checkDepth(v.json(), 0, v.name());
            case "null":
                if (!v.isNull()) throw new QomException("Invalid parameter type for '" + v.name() + "', expected: null");
                return F.nullNode();
            default: break;
        }
        SchemaEntity e = entities.get(n);
        switch (e) {
            case SchemaEntity.Enum en -> {
                String s = v.asString();
                if (!en.values().contains(s)) throw new QomException("Parameter '" + v.name() + "' does not accept value '" + s + "'");
                return F.textNode(s);
            }
            case SchemaEntity.Struct s -> {
                ObjectNode out = F.objectNode();
                Map<String, Value> given = v.asStruct();
                List<Member> members = membersOf(s.name());
                Set<String> known = new LinkedHashSet<>();
                for (Member m : members) {
                    known.add(m.name());
                    Value mv = given.get(m.name());
                    if (mv == null) {
                        if (!m.optional()) throw new QomException("Parameter '" + v.name() + "." + m.name() + "' is missing");
                        continue;
                    }
                    out.set(m.name(), read(m.type(), mv, depth + 1));
                }
                for (String k : given.keySet())
                    if (!known.contains(k)) throw new QomException("Parameter '" + v.name() + "." + k + "' is unexpected");
                return out;
            }
            case SchemaEntity.Alternate a -> {
                QomException last = null;
                for (Member m : a.members()) {
                    if (!v.isText() && !kindMatches(m.type(), v.json())) continue;
                    try {
                        return read(m.type(), v, depth + 1);
                    } catch (QomException ex) {
                        last = ex;
                    }
                }
                throw last != null ? last : new QomException("Invalid parameter type for '" + v.name() + "', expected: " + a.name());
            }
            case null, default -> throw new QomException("schema: unknown type '" + n + "'");
        }
    }

    private boolean kindMatches(TypeRef t, JsonNode node) {
        if (t.isArray()) return node.isArray();
        String n = t.name();
        if (n.equals("str")) return node.isTextual();
        if (n.equals("bool")) return node.isBoolean();
        if (n.equals("number")) return node.isNumber();
        if (n.equals("null")) return node.isNull();
        if (BUILTINS.contains(n)) return n.equals("any") || node.isIntegralNumber();
        SchemaEntity e = entities.get(n);
        if (e instanceof SchemaEntity.Enum) return node.isTextual();
        return node.isObject();
    }

    private static JsonNode checkDepth(JsonNode n, int depth, String name) {
        if (depth > MAX_DEPTH) throw new QomException("Parameter '" + name + "' is nested too deeply");
        if (n != null && n.isContainerNode()) for (JsonNode c : n) checkDepth(c, depth + 1, name);
        return n;
    }

    private static JsonNode unsigned(long v) {
        return v >= 0 ? F.numberNode(v) : F.numberNode(new java.math.BigInteger(Long.toUnsignedString(v)));
    }

    // ---- introspection ----

    ArrayNode introspect() {
        ArrayNode out = F.arrayNode();
        Set<String> usedTypes = new LinkedHashSet<>();
        Set<String> emitted = new LinkedHashSet<>();
        ObjectNode empty = F.objectNode().put("name", "q_empty").put("meta-type", "object");
        empty.putArray("members");
        for (SchemaEntity.Command c : commands()) {
            ObjectNode o = out.addObject().put("name", c.name()).put("meta-type", "command")
                    .put("arg-type", c.arguments() == null ? "q_empty" : c.arguments())
                    .put("ret-type", c.returns() == null ? "q_empty" : c.returns().displayName());
            if (c.allowPreconfig()) o.put("allow-preconfig", true);
            if (c.arguments() != null) usedTypes.add(c.arguments());
            if (c.returns() != null) collect(c.returns(), usedTypes);
        }
        for (SchemaEntity.Event ev : events()) {
            out.addObject().put("name", ev.name()).put("meta-type", "event")
                    .put("arg-type", ev.data() == null ? "q_empty" : ev.data());
            if (ev.data() != null) usedTypes.add(ev.data());
        }
        out.add(empty);
        List<String> queue = new ArrayList<>(usedTypes);
        for (int i = 0; i < queue.size(); i++) {
            String name = queue.get(i);
            if (!emitted.add(name)) continue;
            if (name.startsWith("[")) {
                String elem = introspectName(name.substring(1, name.length() - 1));
                out.addObject().put("name", introspectName(name)).put("meta-type", "array").put("element-type", elem);
                queue.add(name.substring(1, name.length() - 1));
                continue;
            }
            if (BUILTINS.contains(name)) continue;
            SchemaEntity e = entities.get(name);
            switch (e) {
                case SchemaEntity.Struct s -> {
                    ObjectNode o = out.addObject().put("name", s.name()).put("meta-type", "object");
                    ArrayNode ms = o.putArray("members");
                    for (Member m : membersOf(s.name())) {
                        ObjectNode mo = ms.addObject().put("name", m.name()).put("type", introspectName(m.type().displayName()));
                        if (m.optional()) mo.putNull("default");
                        addRef(m.type(), queue);
                    }
                }
                case SchemaEntity.Enum en -> {
                    ObjectNode o = out.addObject().put("name", en.name()).put("meta-type", "enum");
                    ArrayNode vs = o.putArray("values");
                    ArrayNode ms = o.putArray("members");
                    for (String v : en.values()) { vs.add(v); ms.addObject().put("name", v); }
                }
                case SchemaEntity.Alternate a -> {
                    ObjectNode o = out.addObject().put("name", a.name()).put("meta-type", "alternate");
                    ArrayNode ms = o.putArray("members");
                    for (Member m : a.members()) { ms.addObject().put("type", introspectName(m.type().displayName())); addRef(m.type(), queue); }
                }
                case null, default -> { }
            }
        }
        // the builtins, under the names QEMU's introspection folds them into
        Set<String> builtinsUsed = new LinkedHashSet<>();
        for (String n : emitted) if (BUILTINS.contains(n)) builtinsUsed.add(introspectName(n));
        builtinsUsed.add("str");
        builtinsUsed.add("int");
        builtinsUsed.add("bool");
        for (String b : builtinsUsed)
            out.addObject().put("name", b).put("meta-type", "builtin").put("json-type", jsonType(b));
        return out;
    }

    private static void collect(TypeRef t, Set<String> used) { used.add(t.displayName()); }

    private static void addRef(TypeRef t, List<String> queue) { queue.add(t.displayName()); }

    /** QEMU's introspection folds every integer type into "int". */
    static String introspectName(String name) {
        if (name.startsWith("[")) return "[" + introspectName(name.substring(1, name.length() - 1)) + "]";
        return switch (name) {
            case "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size" -> "int";
            default -> name;
        };
    }

    private static String jsonType(String builtin) {
        return switch (builtin) {
            case "str" -> "string";
            case "int" -> "int";
            case "number" -> "number";
            case "bool" -> "boolean";
            case "null" -> "null";
            default -> "value";
        };
    }
}
