package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.CommandModule;
import org.orrery.command.SchemaEntity;
import org.orrery.command.Session;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/** The command layer as an OSGi service: a whiteboard of {@link CommandModule} services. */
@Component(service = CommandLayer.class, immediate = true)
public final class CommandLayerComponent implements CommandLayer {
    private static final Logger LOG = Logger.getLogger(CommandLayerComponent.class.getName());
    /** How long a command waits at most for the container to finish starting its bundles. */
    private static final long STARTUP_WAIT_MILLIS = 30_000;
    private final CommandLayerImpl layer = new CommandLayerImpl();
    /**
     * Markers the launcher keeps registered while it is still starting bundles; running one asks it to start
     * the rest now (it would otherwise wait until the command line has built the machine).
     */
    private final Object startup = new Object();
    private final List<Runnable> startupPending = new ArrayList<>();

    public CommandLayerComponent() {
        layer.setStartupWait(this::awaitStartup);
    }

    @Reference(service = Runnable.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(orrery.startup=pending)")
    void addStartupPending(Runnable marker) {
        synchronized (startup) {
            startupPending.add(marker);
        }
    }

    void removeStartupPending(Runnable marker) {
        synchronized (startup) {
            startupPending.remove(marker);
            startup.notifyAll();
        }
    }

    private void awaitStartup() {
        List<Runnable> markers;
        synchronized (startup) {
            markers = List.copyOf(startupPending);
        }
        for (Runnable marker : markers) {
            try {
                marker.run();
            } catch (RuntimeException e) {
                LOG.warning("asking for the rest of the start failed: " + e);
            }
        }
        long deadline = System.nanoTime() + STARTUP_WAIT_MILLIS * 1_000_000;
        synchronized (startup) {
            long left;
            while (!startupPending.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    startup.wait(left / 1_000_000 + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

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
