package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.command.Session;
import org.orrery.machine.backend.CharBackend;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * human-monitor-add, human-monitor-del and human-monitor-command: the human monitor as a front-end of the
 * command layer. Monitors live per machine tree; they go when the bundle goes.
 */
@Component(service = CommandModule.class)
public final class HumanMonitorCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String BANNER = "QEMU 7.2.0 monitor (Orrery) - type 'help' for more information";

    /** The monitors of one machine tree, by id. */
    static final class Monitors {
        final Map<String, MonitorFrontEnd> byId = new ConcurrentHashMap<>();
    }

    private final List<ObjectTree> trees = new ArrayList<>();

    public HumanMonitorCommands() {
        on("human-monitor-add", (a, c) -> {
            add(c, a.str("id"), a.str("chardev"));
            return F.objectNode();
        });
        on("human-monitor-del", (a, c) -> {
            Monitors ms = c.tree().attachment(Monitors.class);
            MonitorFrontEnd m = ms == null ? null : ms.byId.remove(a.str("id"));
            if (m == null) throw new QomException("monitor '" + a.str("id") + "' not found");
            m.detach();
            return F.objectNode();
        });
        on("human-monitor-command", (a, c) -> {
            Hmp hmp = new Hmp(c.tree(), c.commands(), c.session());
            hmp.setCpuIndex((int) a.integer("cpu-index", 0));
            return F.textNode(hmp.execute(a.str("command-line")));
        });
    }

    private synchronized void add(CommandContext c, String id, String chardev) {
        ObjectTree tree = c.tree();
        Monitors ms = tree.attachment(Monitors.class);
        if (ms == null) {
            ms = new Monitors();
            tree.attach(Monitors.class, ms);
            trees.add(tree);
        }
        if (ms.byId.containsKey(id)) throw new QomException("Duplicate ID '" + id + "' for monitor");
        QObject o = tree.resolve("/chardevs/" + chardev);
        if (o == null) throw new QomException("chardev '" + chardev + "' not found");
        if (!(o instanceof CharBackend backend)) throw new QomException("'" + o.path() + "' is not a character device");
        Session session = () -> "hmp " + id;
        MonitorFrontEnd m = new MonitorFrontEnd(id, backend, new Hmp(tree, c.commands(), session), BANNER);
        ms.byId.put(id, m);
        m.attach();
    }

    @Deactivate
    synchronized void deactivate() {
        for (ObjectTree t : trees) {
            Monitors ms = t.attachment(Monitors.class);
            if (ms == null) continue;
            try {
                t.safePoint().call(() -> {
                    for (MonitorFrontEnd m : ms.byId.values()) m.detach();
                    return null;
                });
            } catch (RuntimeException e) {
                // the machine is gone already
            }
            t.detach(Monitors.class, ms);
        }
        trees.clear();
    }
}
