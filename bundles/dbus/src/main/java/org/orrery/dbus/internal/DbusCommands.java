package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The D-Bus front-end's commands: {@code dbus-add} (what {@code -dbus name=N[,addr=A]} becomes),
 * {@code dbus-del} and {@code query-dbus}. A front-end serves the machine whose tree the command ran on;
 * all of them go with this bundle.
 */
@Component(service = CommandModule.class)
public final class DbusCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final Map<String, DbusFrontEnd> frontEnds = new ConcurrentHashMap<>();

    public DbusCommands() {
        on("dbus-add", (a, c) -> {
            String id = a.str("id"), name = a.str("name");
            if (!Names.isValidBusName(name)) throw new QomException("Parameter 'name' expects a well-known D-Bus name such as org.orrery.Emulator, not '" + name + "'");
            String address = BusAddresses.resolve(a.str("addr", "session"));
            DbusFrontEnd fe = new DbusFrontEnd(id, name, address, c.tree(), c.commands());
            if (frontEnds.putIfAbsent(id, fe) != null) {
                fe.close();
                throw new QomException("Duplicate ID '" + id + "' for D-Bus front-end");
            }
            try {
                fe.start();
            } catch (RuntimeException e) {
                frontEnds.remove(id, fe);
                throw e;
            }
            return F.objectNode();
        });
        on("dbus-del", (a, c) -> {
            DbusFrontEnd fe = frontEnds.remove(a.str("id"));
            if (fe == null) throw QomException.notFound("D-Bus front-end '" + a.str("id") + "' not found");
            fe.close();
            return F.objectNode();
        });
        on("query-dbus", (a, c) -> {
            ArrayNode out = F.arrayNode();
            for (DbusFrontEnd fe : List.copyOf(frontEnds.values())) {
                ObjectNode o = out.addObject().put("id", fe.id()).put("name", fe.busName()).put("address", fe.address())
                        .put("connected", fe.isConnected());
                String u = fe.uniqueName();
                if (u != null) o.put("unique-name", u);
            }
            return out;
        });
    }

    /** For tests and embedders: the front-end with this id. */
    DbusFrontEnd frontEnd(String id) { return frontEnds.get(id); }

    @Deactivate
    void deactivate() {
        for (DbusFrontEnd fe : List.copyOf(frontEnds.values())) fe.close();
        frontEnds.clear();
    }
}
