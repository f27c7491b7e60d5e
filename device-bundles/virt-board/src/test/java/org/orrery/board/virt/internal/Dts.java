package org.orrery.board.virt.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/** A device tree as dtc decompiles it: node path to property text, with phandle values resolvable to paths. */
final class Dts {
    final Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
    final Map<Long, String> phandles = new LinkedHashMap<>();
    final String stderr;

    private Dts(String text, String stderr) {
        this.stderr = stderr;
        Deque<String> stack = new ArrayDeque<>();
        for (String raw : text.split("\n")) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("/dts-v1/")) continue;
            if (line.endsWith("{")) {
                String name = line.substring(0, line.length() - 1).trim();
                String parent = stack.isEmpty() ? "" : stack.peek();
                String path = name.equals("/") ? "/" : (parent.equals("/") ? "" : parent) + "/" + name;
                stack.push(path);
                nodes.put(path, new LinkedHashMap<>());
            } else if (line.equals("};")) {
                stack.pop();
            } else if (line.endsWith(";")) {
                String body = line.substring(0, line.length() - 1);
                int eq = body.indexOf(" = ");
                String k = eq < 0 ? body : body.substring(0, eq);
                String v = eq < 0 ? "" : body.substring(eq + 3);
                nodes.get(stack.peek()).put(k, v);
                if (k.equals("phandle")) phandles.put(cells(v)[0], stack.peek());
            }
        }
    }

    static Dts decompile(Path dtb) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", dtb.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("dtc failed: " + err);
        return new Dts(out, err);
    }

    static long[] cells(String v) {
        String s = v.replaceAll("[<>]", " ").trim();
        if (s.isEmpty()) return new long[0];
        String[] parts = s.split("\\s+");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Long.decode(parts[i]);
        return out;
    }

    /** A property with phandles replaced by the paths of the nodes they name ({@code phandleEvery}: every Nth cell, 0 = none). */
    String resolved(String path, String prop, int phandleEvery) {
        String v = nodes.get(path).get(prop);
        if (v == null || phandleEvery == 0) return v;
        long[] c = cells(v);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < c.length; i++) {
            if (i % phandleEvery == 0) b.append(phandles.get(c[i])); else b.append(c[i]);
            b.append(' ');
        }
        return b.toString().trim();
    }
}
