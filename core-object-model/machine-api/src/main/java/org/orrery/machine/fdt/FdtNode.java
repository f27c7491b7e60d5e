package org.orrery.machine.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a flattened device tree under construction: a name (with unit address), ordered
 * properties and children. Values are stored big-endian as the format requires.
 */
public final class FdtNode {
    private final String name;
    private final Map<String, byte[]> properties = new LinkedHashMap<>();
    private final List<FdtNode> children = new ArrayList<>();

    public FdtNode(String name) { this.name = name; }

    /** A node named {@code base@hexaddress}, as device nodes are. */
    public static FdtNode at(String base, long unitAddress) { return new FdtNode(base + "@" + Long.toHexString(unitAddress)); }

    public String name() { return name; }
    public Map<String, byte[]> properties() { return Collections.unmodifiableMap(properties); }
    public List<FdtNode> children() { return Collections.unmodifiableList(children); }

    public FdtNode child(String childName) {
        for (FdtNode c : children) if (c.name.equals(childName)) return c;
        return null;
    }

    /** The child of that name, added if missing. */
    public FdtNode childOrNew(String childName) {
        FdtNode c = child(childName);
        if (c == null) { c = new FdtNode(childName); children.add(c); }
        return c;
    }

    public FdtNode add(FdtNode child) {
        if (child(child.name) != null) throw new IllegalArgumentException("device tree node " + name + " already has a child " + child.name);
        children.add(child);
        return child;
    }

    public void remove(String childName) { children.removeIf(c -> c.name.equals(childName)); }

    public FdtNode bytes(String prop, byte[] value) { properties.put(prop, value.clone()); return this; }

    public FdtNode empty(String prop) { properties.put(prop, new byte[0]); return this; }

    /** A string or a string list (each NUL-terminated). */
    public FdtNode string(String prop, String... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String v : values) { b.writeBytes(v.getBytes(StandardCharsets.UTF_8)); b.write(0); }
        properties.put(prop, b.toByteArray());
        return this;
    }

    /** One or more 32-bit cells. */
    public FdtNode u32(String prop, long... cells) {
        byte[] out = new byte[cells.length * 4];
        for (int i = 0; i < cells.length; i++) putU32(out, i * 4, cells[i]);
        properties.put(prop, out);
        return this;
    }

    /** 64-bit values, each as two cells (high, low). */
    public FdtNode u64(String prop, long... values) {
        long[] cells = new long[values.length * 2];
        for (int i = 0; i < values.length; i++) { cells[2 * i] = values[i] >>> 32; cells[2 * i + 1] = values[i] & 0xffffffffL; }
        return u32(prop, cells);
    }

    /** A {@code reg} of (address, size) pairs with #address-cells = #size-cells = 2, as on virt's /soc. */
    public FdtNode reg(long... addressSizePairs) { return u64("reg", addressSizePairs); }

    public byte[] property(String prop) { byte[] v = properties.get(prop); return v == null ? null : v.clone(); }

    public String stringProperty(String prop) {
        byte[] v = properties.get(prop);
        if (v == null) return null;
        int end = 0;
        while (end < v.length && v[end] != 0) end++;
        return new String(v, 0, end, StandardCharsets.UTF_8);
    }

    static void putU32(byte[] out, int off, long v) {
        out[off] = (byte) (v >>> 24);
        out[off + 1] = (byte) (v >>> 16);
        out[off + 2] = (byte) (v >>> 8);
        out[off + 3] = (byte) v;
    }

    @Override public String toString() { return name; }
}
