package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The built-in property types: integers with range checks, size, bool, str, enums, lists, links and children. */
public final class PropertyTypes {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private PropertyTypes() { }

    public static final PropertyType<Boolean> BOOL = simple("bool", "bool", Boolean.class,
            Value::asBool, v -> F.booleanNode(v != null && v));
    public static final PropertyType<String> STR = simple("str", "str", String.class,
            Value::asString, v -> F.textNode(v == null ? "" : v));
    public static final PropertyType<Long> INT8 = signed("int8", 8);
    public static final PropertyType<Long> INT16 = signed("int16", 16);
    public static final PropertyType<Long> INT32 = signed("int32", 32);
    public static final PropertyType<Long> INT64 = signed("int64", 64);
    public static final PropertyType<Long> UINT8 = unsigned("uint8", 8);
    public static final PropertyType<Long> UINT16 = unsigned("uint16", 16);
    public static final PropertyType<Long> UINT32 = unsigned("uint32", 32);
    public static final PropertyType<Long> UINT64 = unsigned("uint64", 64);
    public static final PropertyType<Long> SIZE = simple("size", "size", Long.class,
            Value::asSize, v -> unsignedJson(v == null ? 0 : v));
    /** Any JSON value, passed through unchanged (QAPI's 'any'). */
    public static final PropertyType<JsonNode> ANY = simple("any", "any", JsonNode.class,
            Value::json, v -> v == null ? F.nullNode() : v);

    static JsonNode unsignedJson(long v) {
        return v >= 0 ? F.numberNode(v) : F.numberNode(new BigInteger(Long.toUnsignedString(v)));
    }

    private static PropertyType<Long> signed(String name, int bits) {
        long min = bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1));
        long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
        return simple(name, bits == 64 ? "int" : name, Long.class, v -> v.asInt(min, max, name), v -> F.numberNode(v == null ? 0 : v));
    }

    private static PropertyType<Long> unsigned(String name, int bits) {
        return simple(name, name, Long.class, v -> v.asUint(bits, name), v -> unsignedJson(v == null ? 0 : v));
    }

    private interface Reader<T> { T read(Value v); }

    private interface Writer<T> { JsonNode write(T v); }

    private static <T> PropertyType<T> simple(String name, String schema, Class<T> cls, Reader<T> r, Writer<T> w) {
        return new PropertyType<>() {
            public String name() { return name; }
            public String schemaType() { return schema; }
            public Class<T> javaType() { return cls; }
            public T read(Value value, ObjectContext ctx) { return r.read(value); }
            public JsonNode write(T value) { return w.write(value); }
            @Override public String toString() { return name; }
        };
    }

    /** An enumeration: the value must be one of {@code values}; {@code typeName} names it in the schema. */
    public static PropertyType<String> enumOf(String typeName, String... values) {
        List<String> allowed = List.of(values);
        return new EnumType(typeName, allowed);
    }

    /** The type of an enumeration property, which also tells the schema its members. */
    public static final class EnumType implements PropertyType<String> {
        private final String typeName;
        private final List<String> values;

        EnumType(String typeName, List<String> values) { this.typeName = typeName; this.values = values; }

        public List<String> values() { return values; }
        public String name() { return typeName; }
        public String schemaType() { return typeName; }
        public Class<String> javaType() { return String.class; }

        public String read(Value value, ObjectContext ctx) {
            String s = value.asString();
            if (!values.contains(s))
                throw new QomException("Parameter '" + value.name() + "' does not accept value '" + s + "' (expected one of: " + String.join(", ", values) + ")");
            return s;
        }

        public JsonNode write(String value) { return F.textNode(value == null ? "" : value); }
    }

    /** A list of values of one element type. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <E> PropertyType<List<E>> listOf(PropertyType<E> element) {
        Class<List<E>> cls = (Class) List.class;
        return new PropertyType<>() {
            public String name() { return "list<" + element.name() + ">"; }
            public String schemaType() { return "[" + element.schemaType() + "]"; }
            public Class<List<E>> javaType() { return cls; }

            public List<E> read(Value value, ObjectContext ctx) {
                List<E> out = new ArrayList<>();
                for (Value v : value.asList()) out.add(element.read(v, ctx));
                return Collections.unmodifiableList(out);
            }

            public JsonNode write(List<E> value) {
                ArrayNode a = F.arrayNode();
                if (value != null) for (E e : value) a.add(element.write(e));
                return a;
            }
        };
    }

    /** A typed reference to another object, set by path and checked to be of {@code targetType}. */
    public static <T extends QObject> LinkType<T> link(String targetType, Class<T> javaType) {
        return new LinkType<>(targetType, javaType, null);
    }

    /**
     * A link whose bare ids are looked up in {@code container} first (as QEMU looks a chardev id up among
     * chardevs and a drive id among drives), then as a path.
     */
    public static <T extends QObject> LinkType<T> link(String targetType, Class<T> javaType, String container) {
        return new LinkType<>(targetType, javaType, container);
    }

    /** The type of a link property: values are objects; as JSON, their canonical paths. */
    public static final class LinkType<T extends QObject> implements PropertyType<T> {
        private final String targetType;
        private final Class<T> javaType;
        private final String container;

        LinkType(String targetType, Class<T> javaType, String container) {
            this.targetType = targetType;
            this.javaType = javaType;
            this.container = container;
        }

        public String targetType() { return targetType; }
        public String name() { return "link<" + targetType + ">"; }
        public String schemaType() { return "str"; }
        public Class<T> javaType() { return javaType; }

        public T read(Value value, ObjectContext ctx) {
            if (value.isNull()) return null;
            String path = value.asString();
            if (path.isEmpty()) return null;
            QObject target = container != null && !path.startsWith("/") ? ctx.resolve(container + "/" + path) : null;
            if (target == null) target = ctx.resolve(path);
            if (target == null) throw QomException.notFound("Device '" + path + "' not found");
            if (!target.type().isA(targetType) || !javaType.isInstance(target))
                throw new QomException("Invalid parameter type for '" + value.name() + "', expected: " + targetType
                        + " (but '" + path + "' is a " + target.type().name() + ")");
            return javaType.cast(target);
        }

        public JsonNode write(T value) { return F.textNode(value == null ? "" : value.path()); }
    }

    /** The type of a child property: the value is the child, shown as its canonical path. */
    public static PropertyType<QObject> child(String childType) {
        return new PropertyType<>() {
            public String name() { return "child<" + childType + ">"; }
            public String schemaType() { return "str"; }
            public Class<QObject> javaType() { return QObject.class; }
            public QObject read(Value value, ObjectContext ctx) { throw new QomException("child properties cannot be set"); }
            public JsonNode write(QObject value) { return F.textNode(value == null ? "" : value.path()); }
        };
    }
}
