package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one input visitor every property and command argument is read through. A property type asks it
 * for the shape it expects (a bool, an integer in a range, a size, a string, a list, a struct) and the
 * value answers or fails with a precise error. Two dialects share it: strict JSON (QMP, D-Bus, JSON
 * config) and string values (the command line's {@code key=value} lists, INI config files, shell
 * arguments), where {@code on}/{@code off}, {@code 0x10} and size suffixes such as {@code 256M} are
 * accepted as QEMU accepts them.
 */
public final class Value {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final JsonNode node;
    private final boolean strings;
    private final String name;

    private Value(JsonNode node, boolean strings, String name) {
        this.node = node;
        this.strings = strings;
        this.name = name;
    }

    /** A strictly typed JSON value; {@code name} is what errors call it (a parameter or property name). */
    public static Value ofJson(String name, JsonNode node) { return new Value(node, false, name); }

    /** A value that came as text (a string or a tree of strings from a {@code key=value} list). */
    public static Value ofText(String name, JsonNode node) { return new Value(node, true, name); }

    public static Value ofText(String name, String text) { return new Value(F.textNode(text), true, name); }

    public String name() { return name; }
    public JsonNode json() { return node; }
    public boolean isText() { return strings; }
    public boolean isNull() { return node == null || node.isNull(); }

    private QomException typeError(String expected) {
        return new QomException("Invalid parameter type for '" + name + "', expected: " + expected);
    }

    public boolean asBool() {
        if (node != null && node.isBoolean()) return node.booleanValue();
        if (strings && node != null && node.isTextual()) {
            switch (node.textValue()) {
                case "on", "yes", "true", "y" -> { return true; }
                case "off", "no", "false", "n" -> { return false; }
                default -> throw new QomException("Parameter '" + name + "' expects 'on' or 'off'");
            }
        }
        throw typeError("boolean");
    }

    public String asString() {
        if (node != null && node.isTextual()) return node.textValue();
        throw typeError("string");
    }

    /** A signed integer within [min, max]. */
    public long asInt(long min, long max, String typeName) {
        BigInteger v = integer(typeName);
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0)
            throw new QomException("Parameter '" + name + "' expects " + typeName + " (" + min + ".." + max + "), got " + v);
        return v.longValue();
    }

    /** An unsigned integer of {@code bits} bits, returned in a long (uint64 values above 2^63 are negative). */
    public long asUint(int bits, String typeName) {
        BigInteger v = integer(typeName);
        BigInteger max = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        if (v.signum() < 0 || v.compareTo(max) > 0)
            throw new QomException("Parameter '" + name + "' expects " + typeName + " (0.." + max + "), got " + v);
        return v.longValue();
    }

    /** A size in bytes: an unsigned 64-bit number, or as text with a suffix (k, M, G, T, P, E; powers of 1024). */
    public long asSize() {
        if (strings && node != null && node.isTextual()) return parseSize(name, node.textValue());
        return asUint(64, "size");
    }

    private BigInteger integer(String typeName) {
        if (node != null && node.isIntegralNumber()) return node.bigIntegerValue();
        if (strings && node != null && node.isTextual()) {
            String t = node.textValue().trim();
            try {
                boolean neg = t.startsWith("-");
                String d = neg ? t.substring(1) : t;
                BigInteger v = d.startsWith("0x") || d.startsWith("0X") ? new BigInteger(d.substring(2), 16) : new BigInteger(d);
                return neg ? v.negate() : v;
            } catch (NumberFormatException e) {
                throw new QomException("Parameter '" + name + "' expects " + typeName + ", got '" + t + "'");
            }
        }
        throw typeError(typeName.startsWith("uint") || typeName.startsWith("int") || typeName.equals("size") ? "integer" : typeName);
    }

    public double asNumber() {
        if (node != null && node.isNumber()) return node.doubleValue();
        if (strings && node != null && node.isTextual()) {
            try { return Double.parseDouble(node.textValue()); } catch (NumberFormatException e) { /* fall through */ }
        }
        throw typeError("number");
    }

    /** The elements of a list. As text, a single value is a list of one (QEMU's repeated keys become lists too). */
    public List<Value> asList() {
        List<Value> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            int i = 0;
            for (JsonNode e : node) out.add(new Value(e, strings, name + "[" + (i++) + "]"));
            return out;
        }
        if (strings && node != null && node.isObject()) {
            // keyval lists arrive as {"0": .., "1": ..}
            for (int i = 0; node.has(Integer.toString(i)); i++) out.add(new Value(node.get(Integer.toString(i)), true, name + "." + i));
            if (out.size() == node.size()) return out;
        }
        if (strings && node != null && node.isTextual()) return List.of(this);
        throw typeError("array");
    }

    /** The members of a struct, in order. */
    public Map<String, Value> asStruct() {
        if (node != null && node.isObject()) {
            Map<String, Value> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), new Value(e.getValue(), strings, e.getKey()));
            }
            return out;
        }
        throw typeError("object");
    }

    public ObjectNode asObjectNode() {
        if (node != null && node.isObject()) return (ObjectNode) node;
        throw typeError("object");
    }

    /** Parses a size as QEMU does: decimal or 0x hex, optional fraction, optional suffix B, K/k, M, G, T, P, E. */
    public static long parseSize(String name, String text) {
        String t = text.trim();
        if (t.isEmpty()) throw new QomException("Parameter '" + name + "' expects a size");
        int i = t.length();
        char last = t.charAt(i - 1);
        int shift = 0;
        if (Character.isLetter(last) && !(t.startsWith("0x") && isHex(last))) {
            shift = switch (Character.toUpperCase(last)) {
                case 'B' -> 0;
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                case 'P' -> 50;
                case 'E' -> 60;
                default -> throw new QomException("Parameter '" + name + "' expects a size, got '" + text + "' (suffixes: B, K, M, G, T, P, E)");
            };
            t = t.substring(0, i - 1);
        }
        try {
            java.math.BigDecimal v;
            if (t.startsWith("0x") || t.startsWith("0X")) v = new java.math.BigDecimal(new BigInteger(t.substring(2), 16));
            else v = new java.math.BigDecimal(t);
            if (v.signum() < 0) throw new QomException("Parameter '" + name + "' expects a non-negative size, got '" + text + "'");
            // checked before the digits are expanded: "1e999999999" must not build a billion-digit number
            if (v.signum() > 0 && v.precision() - v.scale() > 21)
                throw new QomException("Parameter '" + name + "': size '" + text + "' is too large");
            BigInteger bytes = v.multiply(new java.math.BigDecimal(BigInteger.ONE.shiftLeft(shift))).toBigInteger();
            if (bytes.bitLength() > 64) throw new QomException("Parameter '" + name + "': size '" + text + "' is too large");
            return bytes.longValue();
        } catch (NumberFormatException e) {
            throw new QomException("Parameter '" + name + "' expects a size, got '" + text + "'");
        }
    }

    private static boolean isHex(char c) { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

    @Override public String toString() { return name + "=" + node; }
}
