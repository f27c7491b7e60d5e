package org.orrery.gdbstub.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.machine.Machine;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The commands that start and describe a machine's gdb stub. The stub belongs to the machine whose tree
 * the command ran on (kept as an attachment of that tree); the command line turns -gdb DEV and -s into
 * {@code gdbserver}.
 */
@Component(service = CommandModule.class)
public final class GdbServerCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String DEFAULT_DEVICE = "tcp::1234";

    /** Every running stub and the tree it is attached to. */
    private final Map<GdbServer, ObjectTree> servers = new ConcurrentHashMap<>();

    public GdbServerCommands() {
        on("gdbserver", (a, c) -> {
            String dev = a.str("device", DEFAULT_DEVICE).trim();
            ObjectTree tree = c.tree();
            Machine m = machine(c);
            GdbDevice device = dev.equals("none") ? null : GdbDevice.parse(dev);
            GdbServer old = tree.attachment(GdbServer.class);
            if (old != null) {
                tree.detach(GdbServer.class, old);
                servers.remove(old);
                old.close();
            }
            if (device != null) {
                GdbServer s = new GdbServer(new MachineTarget(m, c.commands(), "gdb " + dev), device);
                servers.put(s, tree);
                tree.attach(GdbServer.class, s);
            }
            return F.objectNode();
        });
        on("query-gdbserver", (a, c) -> {
            GdbServer s = c.tree().attachment(GdbServer.class);
            ObjectNode r = F.objectNode().put("enabled", s != null);
            if (s != null) {
                r.put("device", s.spec());
                if (s.localPort() >= 0) r.put("port", s.localPort());
            }
            return r.put("connected", s != null && s.connected());
        });
    }

    private static Machine machine(CommandContext c) {
        Machine m = c.tree().attachment(Machine.class);
        if (m == null) throw new QomException("gdbserver needs a machine");
        return m;
    }

    @Deactivate
    void deactivate() {
        servers.forEach((s, tree) -> {
            tree.detach(GdbServer.class, s);
            s.close();
        });
        servers.clear();
    }
}
