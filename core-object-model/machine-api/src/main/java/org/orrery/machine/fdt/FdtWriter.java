package org.orrery.machine.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Serializes a node tree into a flattened device tree blob (version 17), as dtc and the kernel read it. */
public final class FdtWriter {
    private static final int MAGIC = 0xd00dfeed;
    private static final int BEGIN_NODE = 1, END_NODE = 2, PROP = 3, END = 9;

    private FdtWriter() { }

    public static byte[] write(FdtNode root, int bootCpuId) {
        ByteArrayOutputStream struct = new ByteArrayOutputStream();
        Map<String, Integer> stringOffsets = new LinkedHashMap<>();
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        writeNode(root, true, struct, strings, stringOffsets);
        u32(struct, END);
        byte[] s = struct.toByteArray();
        byte[] str = strings.toByteArray();
        int headerSize = 40;
        int rsvOff = align(headerSize, 8);
        int rsvSize = 16; // the terminating empty entry
        int structOff = rsvOff + rsvSize;
        int stringsOff = structOff + s.length;
        int total = stringsOff + str.length;
        byte[] out = new byte[total];
        long[] header = {MAGIC, total, structOff, stringsOff, rsvOff, 17, 16, bootCpuId, str.length, s.length};
        for (int i = 0; i < header.length; i++) FdtNode.putU32(out, i * 4, header[i]);
        System.arraycopy(s, 0, out, structOff, s.length);
        System.arraycopy(str, 0, out, stringsOff, str.length);
        return out;
    }

    private static void writeNode(FdtNode n, boolean isRoot, ByteArrayOutputStream out, ByteArrayOutputStream strings, Map<String, Integer> offs) {
        u32(out, BEGIN_NODE);
        byte[] name = isRoot ? new byte[0] : n.name().getBytes(StandardCharsets.UTF_8);
        out.writeBytes(name);
        out.write(0);
        pad(out);
        for (Map.Entry<String, byte[]> p : n.properties().entrySet()) {
            Integer off = offs.get(p.getKey());
            if (off == null) {
                off = strings.size();
                offs.put(p.getKey(), off);
                strings.writeBytes(p.getKey().getBytes(StandardCharsets.UTF_8));
                strings.write(0);
            }
            u32(out, PROP);
            u32(out, p.getValue().length);
            u32(out, off);
            out.writeBytes(p.getValue());
            pad(out);
        }
        for (FdtNode c : n.children()) writeNode(c, false, out, strings, offs);
        u32(out, END_NODE);
    }

    private static void u32(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24); out.write(v >>> 16); out.write(v >>> 8); out.write(v);
    }

    private static void pad(ByteArrayOutputStream out) { while (out.size() % 4 != 0) out.write(0); }

    private static int align(int v, int a) { return (v + a - 1) / a * a; }
}
