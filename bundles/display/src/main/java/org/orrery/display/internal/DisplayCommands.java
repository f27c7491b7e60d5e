package org.orrery.display.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.orrery.machine.Machine;
import org.orrery.machine.display.Consoles;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The display front-ends' commands: screendump, and the VNC server's. A machine has at most one VNC server, kept as
 * an attachment of its tree; the command line turns -vnc into {@code x-vnc-display}, the monitor's "change vnc" too.
 */
@Component(service = CommandModule.class)
public final class DisplayCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final Map<VncServer, ObjectTree> servers = new ConcurrentHashMap<>();

    public DisplayCommands() {
        on("screendump", (a, c) -> {
            if (a.has("head") && !a.has("device")) throw new QomException("'head' must be specified together with 'device'");
            Screendump.write(c.tree(), a.str("filename"), a.has("device") ? a.str("device") : null, (int) a.integer("head", 0),
                    a.str("format", "ppm").equals("png"));
            return F.objectNode();
        });
        on("x-vnc-display", (a, c) -> {
            String display = a.str("display").trim();
            ObjectTree tree = c.tree();
            VncAddress address = display.equals("none") ? null : VncAddress.parse(display);
            VncServer old = tree.attachment(VncServer.class);
            String password = old == null ? null : old.password();
            if (old != null) {
                tree.detach(VncServer.class, old);
                servers.remove(old);
                old.close();
            }
            if (address != null) {
                Machine m = tree.attachment(Machine.class);
                String name = m == null || m.options().guestName() == null ? "Orrery" : "Orrery (" + m.options().guestName() + ")";
                VncServer s = new VncServer(address, Consoles.of(tree), name);
                s.setPassword(password);
                servers.put(s, tree);
                tree.attach(VncServer.class, s);
            }
            return F.objectNode();
        });
        on("query-vnc", (a, c) -> info(c.tree().attachment(VncServer.class)));
        on("set_password", (a, c) -> {
            if (!a.str("protocol").equals("vnc")) throw new QomException("Parameter 'protocol' only supports 'vnc' here (there is no SPICE)");
            password(c.tree(), a.str("password"));
            return F.objectNode();
        });
        on("change-vnc-password", (a, c) -> {
            password(c.tree(), a.str("password"));
            return F.objectNode();
        });
    }

    private static void password(ObjectTree tree, String password) {
        VncServer s = tree.attachment(VncServer.class);
        if (s == null) throw new QomException("There is no VNC server to set a password for (use -vnc)");
        if (!s.passwordRequired()) throw new QomException("Could not set password");   // QEMU's words when auth is not vnc
        s.setPassword(password);
    }

    /** VncInfo as QEMU's query-vnc returns it. */
    static ObjectNode info(VncServer s) {
        ObjectNode r = F.objectNode().put("enabled", s != null);
        if (s == null) return r;
        if (s.address().unixPath() != null) {
            r.put("host", "").put("service", s.address().unixPath().toString()).put("family", "unix");   // as QEMU reports it
        } else {
            InetSocketAddress a = (InetSocketAddress) s.address().address();
            r.put("host", a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress())
                    .put("service", String.valueOf(s.localPort()))
                    .put("family", a.getAddress() instanceof Inet6Address ? "ipv6" : "ipv4");
        }
        r.put("auth", s.passwordRequired() ? "vnc" : "none");
        ArrayNode clients = r.putArray("clients");
        for (VncClient c : s.clients()) {
            ObjectNode o = clients.addObject();
            if (c.isUnix()) o.put("host", "").put("service", "").put("family", "unix");
            else {
                int colon = c.peer().lastIndexOf(':');
                String host = c.peer().substring(0, colon);
                o.put("host", host).put("service", c.peer().substring(colon + 1)).put("family", host.contains(":") ? "ipv6" : "ipv4");
            }
            o.put("websocket", false);
        }
        return r;
    }

    @Deactivate
    void deactivate() {
        servers.forEach((s, tree) -> {
            tree.detach(VncServer.class, s);
            s.close();
        });
        servers.clear();
    }
}
