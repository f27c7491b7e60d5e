package org.orrery.qmp.client.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.qmp.client.QmpTransport;
import org.orrery.qom.Event;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.function.Consumer;

/**
 * QMP without a wire: each command goes straight to the {@link CommandLayer} on the caller's thread (the
 * layer moves it to the machine thread when it must) and the tree's events come back as QMP events. The
 * session behaves as a QMP connection does (greeting, one qmp_capabilities, the same errors), so code
 * written against {@link org.orrery.qmp.client.QmpClient} cannot tell the difference, only that it is
 * faster.
 */
public final class InProcessTransport implements QmpTransport, Session {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final CommandLayer layer;
    private final ObjectTree tree;
    private final Consumer<Event> events = this::onEvent;
    private volatile Inbound inbound;
    private volatile boolean negotiated;
    private volatile boolean closed;

    public InProcessTransport(CommandLayer layer, ObjectTree tree) {
        this.layer = layer;
        this.tree = tree;
    }

    @Override public String name() { return "qmp in-process@" + Integer.toHexString(System.identityHashCode(this)); }

    @Override
    public void open(Inbound in) {
        this.inbound = in;
        JsonNode version;
        try {
            version = layer.execute(tree, "query-version", null, this);
        } catch (RuntimeException e) {
            version = F.objectNode();
        }
        ObjectNode g = F.objectNode();
        ObjectNode qmp = g.putObject("QMP");
        qmp.set("version", version);
        qmp.putArray("capabilities");
        in.message(g);
    }

    @Override
    public void send(ObjectNode message) {
        JsonNode id = message.get("id");
        String command = message.path("execute").asText(null);
        JsonNode args = message.get("arguments");
        Inbound in = inbound;
        if (command == null) {
            in.message(error(id, "GenericError", "QMP input lacks member 'execute'"));
            return;
        }
        if (!negotiated) {
            if (!command.equals("qmp_capabilities")) {
                in.message(error(id, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
                return;
            }
            negotiated = true;
            tree.events().subscribe(events);
            in.message(reply(id, F.objectNode()));
            return;
        }
        if (command.equals("qmp_capabilities")) {
            in.message(error(id, "CommandNotFound", "Capabilities negotiation is already complete, command ignored"));
            return;
        }
        ObjectNode out;
        try {
            out = reply(id, layer.execute(tree, command, args == null ? null : Value.ofJson("arguments", args), this));
        } catch (QomException e) {
            out = error(id, e.errorClass().name(), e.getMessage());
        } catch (RuntimeException e) {
            out = error(id, "GenericError", "Command '" + command + "' failed: " + e);
        }
        in.message(out);
    }

    private static ObjectNode reply(JsonNode id, JsonNode result) {
        ObjectNode r = F.objectNode();
        r.set("return", result);
        if (id != null) r.set("id", id);
        return r;
    }

    private static ObjectNode error(JsonNode id, String cls, String desc) {
        ObjectNode r = F.objectNode();
        if (id != null) r.set("id", id);
        r.putObject("error").put("class", cls).put("desc", desc);
        return r;
    }

    private void onEvent(Event e) {
        Inbound in = inbound;
        if (in == null || closed) return;
        ObjectNode m = F.objectNode();
        m.putObject("timestamp").put("seconds", e.seconds()).put("microseconds", e.microseconds());
        m.put("event", e.name());
        if (e.data() != null && !e.data().isEmpty()) m.set("data", e.data().deepCopy());
        in.message(m);
    }

    @Override public boolean repliesInline() { return true; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        tree.events().unsubscribe(events);
        Inbound in = inbound;
        if (in != null) in.closed(null);
    }
}
