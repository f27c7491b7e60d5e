package org.orrery.machine.state;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One object's saved state: the name and version of the description that wrote it and its values by field name,
 * in declaration order. A value is a Long (every integer kind and timers), a Boolean, a String, a byte[], a
 * long[], a nested StateRecord, or a List of them. Migration steps edit records of older versions in place.
 */
public final class StateRecord {
    private final String name;
    private int version;
    private final LinkedHashMap<String, Object> values = new LinkedHashMap<>();

    public StateRecord(String name, int version) {
        this.name = Objects.requireNonNull(name);
        this.version = version;
    }

    public String name() { return name; }

    public int version() { return version; }

    void setVersion(int version) { this.version = version; }

    public Map<String, Object> values() { return Collections.unmodifiableMap(values); }

    public boolean has(String field) { return values.containsKey(field); }

    public Object get(String field) { return values.get(field); }

    public long getLong(String field) {
        if (!(values.get(field) instanceof Long l)) throw missing(field, "an integer");
        return l;
    }

    public boolean getBool(String field) {
        if (!(values.get(field) instanceof Boolean b)) throw missing(field, "a boolean");
        return b;
    }

    public byte[] getBytes(String field) {
        if (!(values.get(field) instanceof byte[] b)) throw missing(field, "bytes");
        return b;
    }

    public StateRecord getRecord(String field) {
        if (!(values.get(field) instanceof StateRecord r)) throw missing(field, "a record");
        return r;
    }

    private StateException missing(String field, String what) {
        return new StateException("the saved state of '" + name + "' (version " + version + ") has no " + what + " '" + field + "'");
    }

    /** Sets a field (a migration step adds, renames or converts fields with this). */
    public StateRecord put(String field, Object value) {
        checkValue(field, value);
        values.put(field, value);
        return this;
    }

    public StateRecord remove(String field) {
        values.remove(field);
        return this;
    }

    /** Renames a field, keeping its place. */
    public StateRecord rename(String from, String to) {
        if (!values.containsKey(from)) return this;
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>(values);
        values.clear();
        copy.forEach((k, v) -> values.put(k.equals(from) ? to : k, v));
        return this;
    }

    private static void checkValue(String field, Object v) {
        if (v instanceof Long || v instanceof Boolean || v instanceof String || v instanceof byte[] || v instanceof long[]
                || v instanceof StateRecord) return;
        if (v instanceof List<?> l && l.stream().allMatch(StateRecord.class::isInstance)) return;
        throw new IllegalArgumentException("field '" + field + "': " + (v == null ? "null" : v.getClass().getSimpleName())
                + " is not a state value");
    }

    /** A deep copy (migration works on one, so a refused state leaves the original as it was). */
    public StateRecord copy() {
        StateRecord r = new StateRecord(name, version);
        values.forEach((k, v) -> r.values.put(k, copyValue(v)));
        return r;
    }

    private static Object copyValue(Object v) {
        if (v instanceof byte[] b) return b.clone();
        if (v instanceof long[] l) return l.clone();
        if (v instanceof StateRecord r) return r.copy();
        if (v instanceof List<?> l) {
            List<StateRecord> out = new ArrayList<>();
            for (Object o : l) out.add(((StateRecord) o).copy());
            return out;
        }
        return v;
    }

    @Override public boolean equals(Object o) {
        if (!(o instanceof StateRecord r) || !name.equals(r.name) || version != r.version || !values.keySet().equals(r.values.keySet()))
            return false;
        for (var e : values.entrySet()) if (!Objects.deepEquals(e.getValue(), r.values.get(e.getKey()))) return false;
        return true;
    }

    @Override public int hashCode() { return Objects.hash(name, version, values.keySet()); }

    /** The first difference from {@code other} as a path ("queues[1].last-avail-idx: 3 vs 4"), or null when equal. */
    public String difference(StateRecord other) {
        if (!name.equals(other.name) || version != other.version)
            return name + " v" + version + " vs " + other.name + " v" + other.version;
        for (var e : values.entrySet()) {
            String k = e.getKey();
            if (!other.values.containsKey(k)) return k + ": missing on the right";
            String d = differenceOf(k, e.getValue(), other.values.get(k));
            if (d != null) return d;
        }
        for (String k : other.values.keySet()) if (!values.containsKey(k)) return k + ": missing on the left";
        return null;
    }

    private static String differenceOf(String path, Object a, Object b) {
        if (a instanceof StateRecord ra && b instanceof StateRecord rb) {
            String d = ra.difference(rb);
            return d == null ? null : path + "." + d;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) return path + ": " + la.size() + " vs " + lb.size() + " entries";
            for (int i = 0; i < la.size(); i++) {
                String d = differenceOf(path + "[" + i + "]", la.get(i), lb.get(i));
                if (d != null) return d;
            }
            return null;
        }
        return Objects.deepEquals(a, b) ? null : path + ": " + show(a) + " vs " + show(b);
    }

    private static String show(Object v) {
        if (v instanceof byte[] b) return b.length + " bytes";
        if (v instanceof long[] l) return Arrays.toString(l);
        if (v instanceof Long l) return "0x" + Long.toHexString(l);
        return String.valueOf(v);
    }

    @Override public String toString() { return name + " v" + version + " " + values.keySet(); }

    // ---- the binary form: what snapshot streams carry ----

    private static final int T_LONG = 1, T_TRUE = 2, T_FALSE = 3, T_STRING = 4, T_BYTES = 5, T_LONGS = 6, T_RECORD = 7, T_LIST = 8;
    private static final int MAX_DEPTH = 32;

    public void writeTo(DataOutput out) throws IOException {
        out.writeUTF(name);
        out.writeInt(version);
        out.writeInt(values.size());
        for (var e : values.entrySet()) {
            out.writeUTF(e.getKey());
            writeValue(out, e.getValue());
        }
    }

    private static void writeValue(DataOutput out, Object v) throws IOException {
        switch (v) {
            case Long l -> { out.writeByte(T_LONG); out.writeLong(l); }
            case Boolean b -> out.writeByte(b ? T_TRUE : T_FALSE);
            case String s -> { out.writeByte(T_STRING); out.writeUTF(s); }
            case byte[] b -> { out.writeByte(T_BYTES); out.writeInt(b.length); out.write(b); }
            case long[] l -> { out.writeByte(T_LONGS); out.writeInt(l.length); for (long x : l) out.writeLong(x); }
            case StateRecord r -> { out.writeByte(T_RECORD); r.writeTo(out); }
            case List<?> l -> {
                out.writeByte(T_LIST);
                out.writeInt(l.size());
                for (Object o : l) ((StateRecord) o).writeTo(out);
            }
            default -> throw new IllegalStateException("not a state value: " + v.getClass());
        }
    }

    /** Reads a record written by {@link #writeTo}; a damaged stream is a {@link StateException}, never a huge allocation. */
    public static StateRecord readFrom(DataInput in) throws IOException { return readFrom(in, 0); }

    private static StateRecord readFrom(DataInput in, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new StateException("saved state nested deeper than " + MAX_DEPTH + " levels: a damaged stream");
        StateRecord r = new StateRecord(in.readUTF(), in.readInt());
        int n = count(in.readInt(), 1 << 16, "fields");
        for (int i = 0; i < n; i++) {
            String k = in.readUTF();
            r.values.put(k, readValue(in, depth));
        }
        return r;
    }

    private static Object readValue(DataInput in, int depth) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case T_LONG -> in.readLong();
            case T_TRUE -> Boolean.TRUE;
            case T_FALSE -> Boolean.FALSE;
            case T_STRING -> in.readUTF();
            case T_BYTES -> { byte[] b = new byte[count(in.readInt(), 1 << 30, "bytes")]; in.readFully(b); yield b; }
            case T_LONGS -> {
                long[] l = new long[count(in.readInt(), 1 << 27, "longs")];
                for (int i = 0; i < l.length; i++) l[i] = in.readLong();
                yield l;
            }
            case T_RECORD -> readFrom(in, depth + 1);
            case T_LIST -> {
                int n = count(in.readInt(), 1 << 20, "records");
                List<StateRecord> l = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) l.add(readFrom(in, depth + 1));
                yield l;
            }
            default -> throw new StateException("saved state: unknown value tag " + tag + " (a damaged stream)");
        };
    }

    private static int count(int n, int max, String what) {
        if (n < 0 || n > max) throw new StateException("saved state: " + n + " " + what + " in one value (a damaged stream)");
        return n;
    }
}
