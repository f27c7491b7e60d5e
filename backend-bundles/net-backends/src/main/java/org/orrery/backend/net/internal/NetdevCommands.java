package org.orrery.backend.net.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.machine.backend.NetFrontEnd;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.service.component.annotations.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** netdev_add, netdev_del, set_link, query-rx-filter and x-query-network (what HMP's info network shows). */
@Component(service = CommandModule.class)
public final class NetdevCommands extends AbstractCommandModule {
    static final String BASE_TYPE = "netdev";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** QEMU's netdev kinds that are not here, with what to use instead. */
    private static final Map<String, String> NOT_HERE = Map.of(
            "tap", "tap needs /dev/net/tun and privileges; use -netdev user",
            "bridge", "bridge needs qemu-bridge-helper; use -netdev user",
            "l2tpv3", "not supported; use -netdev user",
            "vde", "not supported; use -netdev user",
            "vhost-user", "not supported; use -netdev user",
            "vhost-vdpa", "not supported; use -netdev user",
            "hubport", "the legacy -net hub is not supported; use -netdev and -device");
    private static final Set<String> UNSUPPORTED_USER_OPTIONS = Set.of("guestfwd", "smb", "smbserver", "ipv6-net", "ipv6-host",
            "ipv6-dns", "ipv6-prefix", "ipv6-prefixlen", "dnssearch", "domainname", "tftp-server-name", "vhostfd", "vhostfds");

    public NetdevCommands() {
        on("netdev_add", this::netdevAdd);
        on("netdev_del", this::netdevDel);
        on("set_link", this::setLink);
        on("query-rx-filter", this::queryRxFilter);
        on("x-query-network", this::queryNetwork);
    }

    private JsonNode netdevAdd(Arguments a, CommandContext c) {
        String id = a.str("id");
        String kind = a.str("type");
        checkId(id);
        ObjectTree tree = c.tree();
        QObject netdevs = tree.container("/netdevs");
        if (netdevs.child(id) != null) throw new QomException("Duplicate ID '" + id + "' for netdev");
        if (NOT_HERE.containsKey(kind)) throw new QomException("netdev '" + kind + "': " + NOT_HERE.get(kind));
        String typeName = BASE_TYPE + "-" + kind;
        if (tree.registry().find(typeName).isEmpty() || kind.equals("user") && tree.registry().find("netdev-user").isEmpty())
            throw new QomException("Parameter 'type' does not accept value '" + kind + "'");
        QObject o = tree.create(typeName);
        netdevs.addChild(id, o);
        try {
            for (Map.Entry<String, Value> e : a.extra().entrySet()) {
                String k = e.getKey();
                if (UNSUPPORTED_USER_OPTIONS.contains(k)) throw new QomException("netdev user: '" + k + "' is not supported");
                var p = o.type().property(k);
                if (p == null || p.settable() == org.orrery.qom.Settable.NEVER) throw new QomException("Invalid parameter '" + k + "'");
                o.setProperty(k, k.equals("hostfwd") ? hostForwards(e.getValue()) : e.getValue());
            }
            o.realize();
        } catch (RuntimeException e) {
            tree.discard(o); // nothing is left of a netdev that failed, not even its id
            throw e;
        }
        return F.objectNode();
    }

    /** QMP gives hostfwd as [{"str": RULE}, ...] (QEMU's String list); the command line as one or repeated text values. */
    private static Value hostForwards(Value v) {
        JsonNode n = v.json();
        if (n != null && n.isArray()) {
            ArrayNode rules = F.arrayNode();
            for (JsonNode r : n) {
                if (r.isObject() && r.path("str").isTextual()) rules.add(r.get("str"));
                else if (r.isTextual()) rules.add(r);
                else throw new QomException("Invalid parameter type for 'hostfwd', expected: array of {\"str\": rule}");
            }
            return v.isText() ? Value.ofText(v.name(), rules) : Value.ofJson(v.name(), rules);
        }
        return v;
    }

    /** QEMU's identifiers, and the ids it makes itself for -nic (__org.qemu.nicN). */
    static void checkId(String id) {
        String own = id != null && id.startsWith("__org.qemu.") ? id.substring("__org.qemu.".length()) : id;
        boolean ok = own != null && !own.isEmpty() && Character.isLetter(own.charAt(0));
        for (int i = 0; ok && i < own.length(); i++) {
            char ch = own.charAt(i);
            ok = Character.isLetterOrDigit(ch) || ch == '-' || ch == '.' || ch == '_';
        }
        if (!ok) throw new QomException("Parameter 'id' expects an identifier");
    }

    private static Netdev find(ObjectTree tree, String id) {
        QObject o = tree.resolve("/netdevs/" + id);
        if (!(o instanceof Netdev d)) throw QomException.notFound("Device '" + id + "' not found");
        return d;
    }

    /** As QEMU: the netdev goes even while a NIC uses it; the NIC keeps running, unconnected. */
    private JsonNode netdevDel(Arguments a, CommandContext c) {
        Netdev d = find(c.tree(), a.str("id"));
        NetFrontEnd fe = d.frontEnd();
        if (fe != null) d.detach(fe);
        c.tree().delete(d, true);
        return F.objectNode();
    }

    private static List<Netdev> netdevs(ObjectTree tree) {
        List<Netdev> out = new ArrayList<>();
        QObject netdevs = tree.resolve("/netdevs");
        if (netdevs != null) for (QObject o : netdevs.children().values()) if (o instanceof Netdev d) out.add(d);
        return out;
    }

    /** set_link NAME: a NIC's name or a netdev's id; both ends of the pair follow, as in QEMU. */
    private JsonNode setLink(Arguments a, CommandContext c) {
        String name = a.str("name");
        boolean up = a.bool("up", true);
        boolean found = false;
        for (Netdev d : netdevs(c.tree())) {
            NetFrontEnd fe = d.frontEnd();
            if (d.name().equals(name) || fe != null && fe.nicName().equals(name)) {
                found = true;
                if (fe != null) fe.setLinkUp(up);
                else d.linkChanged(up);
            }
        }
        if (!found) throw QomException.notFound("Device '" + name + "' not found");
        return F.objectNode();
    }

    private JsonNode queryRxFilter(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        String only = a.str("name", null);
        for (Netdev d : netdevs(c.tree())) {
            NetFrontEnd fe = d.frontEnd();
            if (fe == null || only != null && !only.equals(fe.nicName())) continue;
            // no control queue: the device receives everything, as QEMU's virtio-net does before a driver filters
            ObjectNode f = out.addObject().put("name", fe.nicName()).put("promiscuous", true).put("multicast", "normal")
                    .put("unicast", "normal").put("vlan", "normal").put("broadcast-allowed", true)
                    .put("multicast-overflow", false).put("unicast-overflow", false).put("main-mac", fe.macAddress());
            f.putArray("vlan-table");
            f.putArray("unicast-table");
            f.putArray("multicast-table");
        }
        if (only != null && out.isEmpty()) throw new QomException("Invalid net client name: " + only);
        return out;
    }

    private JsonNode queryNetwork(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        int nic = 0;
        for (Netdev d : netdevs(c.tree())) {
            NetFrontEnd fe = d.frontEnd();
            ObjectNode backend = F.objectNode().put("name", d.name()).put("type", d.kind()).put("info", d.info());
            if (fe != null) {
                ObjectNode n = out.addObject().put("name", fe.nicName()).put("type", "nic")
                        .put("info", "index=" + nic++ + ",type=nic,model=" + fe.model() + ",macaddr=" + fe.macAddress()
                                + (fe.isLinkUp() ? "" : ",link=down"));
                n.set("peer", backend);
            } else {
                out.add(backend);
            }
        }
        return out;
    }
}
