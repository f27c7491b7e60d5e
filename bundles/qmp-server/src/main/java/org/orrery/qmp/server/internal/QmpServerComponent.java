package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The QMP front-end's whole wiring: its commands (schema.json beside this class) as a command module.
 * {@code qmp-listener-add} opens endpoints on the tree it runs on; stopping the bundle closes them all,
 * their sessions with them, and removes their socket files.
 */
@Component(service = CommandModule.class)
public final class QmpServerComponent extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final QmpServer server;

    public QmpServerComponent() { this(QmpServer.DEFAULT_MAX_MESSAGE); }

    /** For tests and embedders: a server whose input texts may be at most {@code maxMessageSize} bytes. */
    public QmpServerComponent(int maxMessageSize) {
        this.server = new QmpServer(maxMessageSize);
        // the QMP server answers qmp_capabilities itself, per connection; other front-ends get this no-op
        on("qmp_capabilities", (a, c) -> F.objectNode());
        on("qmp-listener-add", (a, c) -> {
            server.add(c.tree(), c.commands(), a.str("id"), a.str("address"), a.bool("pretty", false));
            return F.objectNode();
        });
        on("qmp-listener-del", (a, c) -> {
            server.remove(c.tree(), a.str("id"));
            return F.objectNode();
        });
        on("query-qmp-listeners", (a, c) -> {
            ArrayNode out = F.arrayNode();
            for (QmpListener l : server.list(c.tree()))
                out.addObject().put("id", l.id()).put("address", l.address()).put("server", l.isServer())
                        .put("pretty", l.pretty()).put("clients", l.clientCount());
            return out;
        });
    }

    QmpServer server() { return server; }

    /** The command line's marker while it configures the machine: QMP commands wait for it to go. */
    @Reference(service = Runnable.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(orrery.commandline=running)")
    void addConfiguringCommandLine(Runnable marker) { server.commandLine().markerAdded(marker); }

    void removeConfiguringCommandLine(Runnable marker) { server.commandLine().markerRemoved(marker); }

    /** Live threads the server started (accept loops, sessions, event writers): for leak tests. */
    public int liveThreads() { return server.threads().liveCount(); }

    @Deactivate
    public void close() { server.closeAll(); }
}
