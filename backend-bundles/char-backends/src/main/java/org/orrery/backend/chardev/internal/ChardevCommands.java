package org.orrery.backend.chardev.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.qom.Keyval;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.service.component.annotations.Component;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** chardev-add, x-chardev-add-opts, x-chardev-add-legacy, chardev-remove, query-chardev, ringbuf-read/write. */
@Component(service = CommandModule.class)
public final class ChardevCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> COMMON = Set.of("logfile", "logappend");
    /** -chardev options QEMU has that change nothing here (address family and port-range hints). */
    private static final Set<String> IGNORED_OPTS = Set.of("ipv4", "ipv6", "to", "numeric", "keep-alive");

    public ChardevCommands() {
        on("chardev-add", this::chardevAdd);
        on("x-chardev-add-opts", this::chardevAddOpts);
        on("x-chardev-add-legacy", this::chardevAddLegacy);
        on("chardev-remove", this::chardevRemove);
        on("query-chardev", this::queryChardev);
        on("query-chardev-backends", this::queryBackends);
        on("chardev-send-break", (a, c) -> {
            Chardev d = ChardevFactory.find(c.tree(), a.str("id"));
            var fe = d instanceof MuxChardev m ? m.focused() : d.frontEnd();
            if (fe != null) fe.event(org.orrery.machine.backend.CharFrontEnd.CharEvent.BREAK);
            return F.objectNode();
        });
        on("ringbuf-write", this::ringbufWrite);
        on("ringbuf-read", this::ringbufRead);
    }

    // ---- creation ----

    private JsonNode chardevAdd(Arguments a, CommandContext c) {
        String id = a.str("id");
        JsonNode backend = a.get("backend");
        String kind = backend.get("type").textValue();
        JsonNode dataNode = backend.get("data");
        if (dataNode == null || dataNode.isNull()) dataNode = F.objectNode();
        if (!dataNode.isObject()) throw new QomException("Invalid parameter type for 'backend.data', expected: object");
        ObjectNode data = (ObjectNode) dataNode;
        if (a.isText()) throw new QomException("chardev-add takes JSON arguments; use x-chardev-add-opts for key=value options");
        Map<String, Value> props = new LinkedHashMap<>();
        String where = "backend.data";
        ChardevFactory.common(data, props, where);
        switch (kind) {
            case "file" -> {
                allow(data, where, "out", "in", "append");
                props.put("path", Value.ofJson(where + ".out", required(data, where, "out")));
                copy(data, props, where, "in", "in");
                copy(data, props, where, "append", "append");
            }
            case "socket" -> socketProps(data, props, where);
            case "ringbuf", "memory" -> {
                allow(data, where, "size");
                copy(data, props, where, "size", "size");
            }
            case "stdio" -> {
                allow(data, where, "signal");
                copy(data, props, where, "signal", "signal");
            }
            case "mux" -> {
                allow(data, where, "chardev");
                props.put("chardev", Value.ofJson(where + ".chardev", required(data, where, "chardev")));
            }
            case "null", "pty" -> allow(data, where);
            default -> throw new QomException("'" + kind + "' is not a valid char driver name");
        }
        Chardev d = ChardevFactory.create(c.tree(), id, kind, props, false);
        return d.addResult();
    }

    private static void socketProps(ObjectNode data, Map<String, Value> props, String where) {
        allow(data, where, "addr", "server", "wait", "nodelay", "telnet", "tn3270", "websocket", "reconnect", "tls-creds", "tls-authz");
        for (String unsupported : List.of("tn3270", "websocket"))
            if (data.path(unsupported).asBoolean(false)) throw new QomException("chardev socket: '" + unsupported + "' is not supported");
        if (data.has("tls-creds") || data.has("tls-authz")) throw new QomException("chardev socket: TLS is not supported");
        JsonNode addr = required(data, where, "addr");
        if (!addr.isObject()) throw new QomException("Invalid parameter type for '" + where + ".addr', expected: object");
        String aw = where + ".addr";
        allow((ObjectNode) addr, aw, "type", "data");
        String type = required((ObjectNode) addr, aw, "type").asText();
        JsonNode ad = required((ObjectNode) addr, aw, "data");
        if (!ad.isObject()) throw new QomException("Invalid parameter type for '" + aw + ".data', expected: object");
        ObjectNode addrData = (ObjectNode) ad;
        String dw = aw + ".data";
        switch (type) {
            case "unix" -> {
                allow(addrData, dw, "path", "abstract", "tight");
                if (addrData.path("abstract").asBoolean(false)) throw new QomException("abstract unix sockets are not supported");
                props.put("path", Value.ofJson(dw + ".path", required(addrData, dw, "path")));
            }
            case "inet" -> {
                allow(addrData, dw, "host", "port", "numeric", "to", "ipv4", "ipv6", "keep-alive", "mptcp");
                props.put("host", Value.ofJson(dw + ".host", required(addrData, dw, "host")));
                JsonNode port = required(addrData, dw, "port");
                props.put("port", Value.ofJson(dw + ".port", port.isNumber() ? TextNode.valueOf(port.asText()) : port));
            }
            default -> throw new QomException("Parameter '" + aw + ".type' does not accept value '" + type + "' (supported: unix, inet)");
        }
        // QMP's defaults differ from -chardev's: a server that does not wait
        props.put("server", Value.ofJson(where + ".server", data.has("server") ? data.get("server") : F.booleanNode(true)));
        props.put("wait", Value.ofJson(where + ".wait", data.has("wait") ? data.get("wait") : F.booleanNode(false)));
        copy(data, props, where, "nodelay", "nodelay");
        copy(data, props, where, "telnet", "telnet");
        copy(data, props, where, "reconnect", "reconnect");
    }

    private static void allow(ObjectNode data, String where, String... members) {
        Set<String> ok = Set.of(members);
        for (Iterator<String> it = data.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!ok.contains(k) && !COMMON.contains(k)) throw new QomException("Parameter '" + where + "." + k + "' is unexpected");
        }
    }

    private static JsonNode required(ObjectNode data, String where, String member) {
        JsonNode v = data.get(member);
        if (v == null || v.isNull()) throw new QomException("Parameter '" + where + "." + member + "' is missing");
        return v;
    }

    private static void copy(ObjectNode data, Map<String, Value> props, String where, String member, String property) {
        if (data.has(member)) props.put(property, Value.ofJson(where + "." + member, data.get(member)));
    }

    private JsonNode chardevAddOpts(Arguments a, CommandContext c) {
        return addFromOptions(c.tree(), a.str("id"), a.str("backend"), a.extra()).addResult();
    }

    /** The flat -chardev form: every option is a property; mux=on adds the multiplexer. */
    static Chardev addFromOptions(ObjectTree tree, String id, String backend, Map<String, Value> options) {
        Map<String, Value> props = new LinkedHashMap<>();
        boolean mux = false;
        for (Map.Entry<String, Value> e : options.entrySet()) {
            String k = e.getKey();
            if (k.equals("mux")) mux = e.getValue().asBool();
            else if (IGNORED_OPTS.contains(k)) continue;
            else if (k.equals("input-path")) props.put("in", e.getValue());
            else props.put(k, e.getValue());
        }
        return ChardevFactory.create(tree, id, backend, props, mux);
    }

    private JsonNode chardevAddLegacy(Arguments a, CommandContext c) {
        String id = a.str("id");
        String spec = a.str("filename");
        boolean monitor = false;
        if (spec.startsWith("mon:")) {
            monitor = true;
            spec = spec.substring(4);
        }
        String backend;
        Map<String, Value> opts = new LinkedHashMap<>();
        String rest = null;
        int colon = spec.indexOf(':');
        String head = colon < 0 ? spec : spec.substring(0, colon);
        switch (head) {
            case "null", "stdio", "pty" -> {
                if (colon >= 0) throw new QomException("'" + spec + "' is not a valid char driver");
                backend = head;
            }
            case "file" -> {
                backend = "file";
                opts.put("path", Value.ofText("path", spec.substring(colon + 1)));
            }
            case "unix" -> {
                backend = "socket";
                List<String> parts = splitFirst(spec.substring(colon + 1));
                opts.put("path", Value.ofText("path", parts.get(0)));
                rest = parts.get(1);
            }
            case "tcp", "telnet" -> {
                backend = "socket";
                List<String> parts = splitFirst(spec.substring(colon + 1));
                String hp = parts.get(0);
                int pc = hp.lastIndexOf(':');
                if (pc < 0) throw new QomException("'" + spec + "': expected " + head + ":HOST:PORT");
                String host = hp.substring(0, pc);
                if (!host.isEmpty()) opts.put("host", Value.ofText("host", host));
                opts.put("port", Value.ofText("port", hp.substring(pc + 1)));
                if (head.equals("telnet")) opts.put("telnet", Value.ofText("telnet", "on"));
                rest = parts.get(1);
            }
            default -> throw new QomException("'" + spec + "' is not a valid char driver");
        }
        if (rest != null && !rest.isEmpty()) {
            ObjectNode kv = Keyval.parse(rest, null);
            for (Map.Entry<String, JsonNode> e : kv.properties()) opts.put(e.getKey(), Value.ofText(e.getKey(), e.getValue()));
        }
        if (monitor) opts.put("mux", Value.ofText("mux", "on"));
        Chardev d = addFromOptions(c.tree(), id, backend, opts);
        QObject base = c.tree().resolve("/chardevs/" + id + "-base");
        ObjectNode r = (monitor && base instanceof Chardev b ? b : d).addResult();
        r.put("monitor", monitor);
        return r;
    }

    private static List<String> splitFirst(String s) {
        int comma = s.indexOf(',');
        return comma < 0 ? List.of(s, "") : List.of(s.substring(0, comma), s.substring(comma + 1));
    }

    // ---- removal and queries ----

    private JsonNode chardevRemove(Arguments a, CommandContext c) {
        String id = a.str("id");
        Chardev d = ChardevFactory.find(c.tree(), id);
        List<String> users = c.tree().linkersOf(d);
        if (!users.isEmpty()) throw new QomException("Chardev '" + id + "' is busy (used by " + String.join(", ", users) + ")");
        if (d.hasFrontEnd()) throw new QomException("Chardev '" + id + "' is busy (a front-end is attached)");
        c.tree().delete(d, false);
        return F.objectNode();
    }

    private JsonNode queryChardev(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        QObject chardevs = c.tree().resolve("/chardevs");
        if (chardevs == null) return out;
        for (QObject o : chardevs.children().values()) {
            if (!(o instanceof Chardev d)) continue;
            out.addObject().put("label", o.name()).put("filename", d.filename()).put("frontend-open", d.hasFrontEnd());
        }
        return out;
    }

    private JsonNode queryBackends(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        for (ObjectType t : c.tree().registry().list("chardev", false))
            if (t.name().startsWith("chardev-")) out.addObject().put("name", t.name().substring("chardev-".length()));
        return out;
    }

    // ---- ring buffers ----

    private static RingbufChardev ringbuf(ObjectTree tree, String id) {
        QObject o = tree.resolve("/chardevs/" + id);
        if (o == null) throw QomException.notFound("Device '" + id + "' not found");
        if (!(o instanceof RingbufChardev r)) throw new QomException(id + " is not a ringbuf device");
        return r;
    }

    private JsonNode ringbufWrite(Arguments a, CommandContext c) {
        RingbufChardev r = ringbuf(c.tree(), a.str("device"));
        byte[] bytes;
        if ("base64".equals(a.str("format", "utf8"))) {
            try {
                bytes = Base64.getDecoder().decode(a.str("data").replaceAll("\\s", ""));
            } catch (IllegalArgumentException e) {
                throw new QomException("Parameter 'data' is not valid base64: " + e.getMessage());
            }
        } else {
            bytes = a.str("data").getBytes(StandardCharsets.UTF_8);
        }
        r.write(bytes, 0, bytes.length);
        return F.objectNode();
    }

    private JsonNode ringbufRead(Arguments a, CommandContext c) {
        RingbufChardev r = ringbuf(c.tree(), a.str("device"));
        long size = a.integer("size");
        if (size <= 0) throw new QomException("size must be greater than zero");
        byte[] bytes = r.take((int) Math.min(size, Integer.MAX_VALUE));
        if ("base64".equals(a.str("format", "utf8"))) return F.textNode(Base64.getEncoder().encodeToString(bytes));
        return F.textNode(new String(bytes, StandardCharsets.UTF_8));
    }
}
