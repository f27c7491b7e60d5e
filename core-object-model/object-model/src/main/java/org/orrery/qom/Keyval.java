package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Parses QEMU's {@code key=value,key2=value2} option syntax into a tree of strings: {@code ,,} is a
 * literal comma, an implied first key takes a leading bare value ({@code virtio-blk-device,drive=d0}),
 * dotted keys nest ({@code a.b=1}), a bare {@code flag} means {@code flag=on}, a bare {@code noflag}
 * means {@code flag=off}, and a repeated key becomes a list. Values stay strings; the property types
 * convert them through {@link Value#ofText}.
 */
public final class Keyval {
    private Keyval() { }

    public static ObjectNode parse(String text, String impliedKey) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        java.util.List<String> items = split(text);
        for (int idx = 0; idx < items.size(); idx++) {
            String item = items.get(idx);
            int eq = item.indexOf('=');
            if (eq < 0) {
                if (idx == 0 && impliedKey != null) put(root, impliedKey, item, text);
                else if (item.isEmpty()) throw new QomException("Invalid empty parameter in '" + text + "'");
                else if (item.startsWith("no") && item.length() > 2) put(root, item.substring(2), "off", text);
                else put(root, item, "on", text);
            } else {
                String k = item.substring(0, eq);
                if (k.isEmpty()) throw new QomException("Expected parameter name before '=' in '" + text + "'");
                put(root, k, item.substring(eq + 1), text);
            }
        }
        return root;
    }

    /** Splits on single commas; a doubled comma is a literal comma. */
    public static java.util.List<String> split(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (text.isEmpty()) return out;
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') { cur.append(','); i++; continue; }
                out.add(cur.toString());
                cur.setLength(0);
            } else cur.append(c);
        }
        out.add(cur.toString());
        return out;
    }

    private static void put(ObjectNode root, String dottedKey, String value, String text) {
        String[] parts = dottedKey.split("\\.", -1);
        ObjectNode at = root;
        for (int p = 0; p < parts.length - 1; p++) {
            if (parts[p].isEmpty()) throw new QomException("Invalid parameter '" + dottedKey + "' in '" + text + "'");
            JsonNode next = at.get(parts[p]);
            if (next == null) { next = at.putObject(parts[p]); }
            else if (!next.isObject()) throw new QomException("Parameter '" + dottedKey + "' conflicts with '" + parts[p] + "'");
            at = (ObjectNode) next;
        }
        String leaf = parts[parts.length - 1];
        if (leaf.isEmpty()) throw new QomException("Invalid parameter '" + dottedKey + "' in '" + text + "'");
        JsonNode old = at.get(leaf);
        if (old == null) at.put(leaf, value);
        else if (old.isArray()) ((ArrayNode) old).add(value);
        else if (old.isTextual()) { ArrayNode a = at.putArray(leaf); a.add(old); a.add(value); }
        else throw new QomException("Parameter '" + dottedKey + "' conflicts with a nested parameter");
    }
}
