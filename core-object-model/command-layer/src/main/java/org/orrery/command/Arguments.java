package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.Value;

import java.util.Map;

/**
 * A command's arguments after validation against the schema: declared members are typed JSON;
 * {@link #extra()} holds the members a command accepts beyond its declared ones (device and object
 * properties), still as {@link Value}s so they are read in their original dialect.
 */
public final class Arguments {
    private final ObjectNode declared;
    private final Map<String, Value> extra;
    private final boolean text;

    public Arguments(ObjectNode declared, Map<String, Value> extra, boolean text) {
        this.declared = declared;
        this.extra = Map.copyOf(extra);
        this.text = text;
    }

    /** True when the arguments came as text (command line, monitor); 'any' members are then strings to convert. */
    public boolean isText() { return text; }

    /** An 'any' member as a {@link Value} in the dialect it arrived in. */
    public Value value(String name) { return text ? Value.ofText(name, declared.get(name)) : Value.ofJson(name, declared.get(name)); }

    public ObjectNode json() { return declared; }
    public Map<String, Value> extra() { return extra; }
    public boolean has(String name) { return declared.hasNonNull(name); }
    public JsonNode get(String name) { return declared.get(name); }

    public String str(String name) { return declared.get(name).textValue(); }
    public String str(String name, String fallback) { return has(name) ? str(name) : fallback; }
    public long integer(String name) { return declared.get(name).longValue(); }
    public long integer(String name, long fallback) { return has(name) ? integer(name) : fallback; }
    public boolean bool(String name, boolean fallback) { return has(name) ? declared.get(name).booleanValue() : fallback; }
}
