package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import org.orrery.qom.QomException;

/** A reference to a schema type: a name, or an array of an element type (written {@code ["T"]}). */
public record TypeRef(String name, TypeRef element) {
    public static TypeRef named(String name) { return new TypeRef(name, null); }
    public static TypeRef arrayOf(TypeRef element) { return new TypeRef(null, element); }
    public boolean isArray() { return element != null; }

    /** The name the type goes by in introspection: {@code T} or {@code [T]}. */
    public String displayName() { return isArray() ? "[" + element.displayName() + "]" : name; }

    public static TypeRef parse(JsonNode node, String where) {
        if (node.isTextual()) return named(node.textValue());
        if (node.isArray() && node.size() == 1) return arrayOf(parse(node.get(0), where));
        throw new QomException("schema: bad type " + node + " in " + where);
    }

    @Override public String toString() { return displayName(); }
}
