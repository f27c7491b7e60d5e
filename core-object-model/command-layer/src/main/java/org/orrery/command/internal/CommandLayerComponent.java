package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.CommandModule;
import org.orrery.command.SchemaEntity;
import org.orrery.command.Session;
import org.orrery.qom.ContainerStart;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/** The command layer as an OSGi service: a whiteboard of {@link CommandModule} services. */
@Component(service = CommandLayer.class, immediate = true)
public final class CommandLayerComponent implements CommandLayer {
    private static final Logger LOG = Logger.getLogger(CommandLayerComponent.class.getName());
    private final CommandLayerImpl layer = new CommandLayerImpl();
    /** The launcher's start, which a command that is not installed yet, and the listings, wait for. */
    private final ContainerStart start = new ContainerStart();

    public CommandLayerComponent() {
        layer.setStartupWait(start::await);
    }

    @Reference(service = Runnable.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(orrery.startup=pending)")
    void addStartupPending(Runnable marker) { start.markerAdded(marker); }

    void removeStartupPending(Runnable marker) { start.markerRemoved(marker); }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addModule(ServiceReference<CommandModule> ref, CommandModule module) {
        String origin = ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName();
        try {
            layer.add(module, module, origin);
        } catch (QomException e) {
            LOG.severe("commands of " + origin + " not installed: " + e.getMessage());
        }
    }

    void removeModule(CommandModule module) { layer.remove(module); }

    @Override public JsonNode execute(ObjectTree tree, String command, Value arguments, Session session) {
        return layer.execute(tree, command, arguments, session);
    }

    @Override public Optional<SchemaEntity.Command> command(String name) { return layer.command(name); }
    @Override public List<SchemaEntity.Command> commands() { return layer.commands(); }
    @Override public List<SchemaEntity.Event> events() { return layer.events(); }
    @Override public Optional<SchemaEntity> entity(String name) { return layer.entity(name); }
    @Override public ArrayNode introspect() { return layer.introspect(); }
    @Override public void addChangeListener(Runnable listener) { layer.addChangeListener(listener); }
    @Override public void removeChangeListener(Runnable listener) { layer.removeChangeListener(listener); }
}
