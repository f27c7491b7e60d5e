package org.orrery.machine.internal;

import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/** Owns the container's machines. Ending the process is the launcher's business, reached through its exit service. */
@Component(service = MachineManager.class, immediate = true)
public final class MachineManagerComponent implements MachineManager {
    private final TypeRegistry registry;
    private final Map<String, MachineImpl> machines = new ConcurrentHashMap<>();

    private volatile IntConsumer exitService;

    private volatile boolean containerStopping;

    @Activate
    public MachineManagerComponent(BundleContext context, @Reference TypeRegistry registry) {
        this(registry);
        // when the container goes down, bundles stop one by one: that is not a board losing its devices
        context.addBundleListener((SynchronousBundleListener) e -> {
            if (e.getBundle().getBundleId() == 0 && e.getType() == BundleEvent.STOPPING) {
                containerStopping = true;
                for (MachineImpl m : machines.values()) m.containerStopping();
            }
        });
    }

    // Bind methods, not field injection: Declarative Services sets a field through a reflective field accessor the
    // JDK builds from method handles at run time, a cost on the start's critical path (ARCHITECTURE.md, Start-up).
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, target = "(orrery.exit=true)",
            unbind = "unsetExitService")
    void setExitService(IntConsumer exit) { exitService = exit; }

    void unsetExitService(IntConsumer exit) {
        if (exitService == exit) exitService = null;
    }

    /** Outside a container (tests): nothing tells it the container stops. */
    public MachineManagerComponent(TypeRegistry registry) { this.registry = registry; }

    @Override public Machine create(String name) {
        MachineImpl m = new MachineImpl(name, registry, status -> {
            IntConsumer e = exitService;
            if (e != null) e.accept(status);
        });
        if (containerStopping) m.containerStopping();
        if (machines.putIfAbsent(name, m) != null) {
            m.destroy();
            throw new QomException("a machine named '" + name + "' exists already");
        }
        return m;
    }

    @Override public Optional<Machine> find(String name) { return Optional.ofNullable(machines.get(name)); }

    @Override public List<Machine> machines() { return new ArrayList<>(machines.values()); }

    @Override public void destroy(Machine machine) {
        if (machines.remove(machine.name(), machine)) ((MachineImpl) machine).destroy();
    }

    @Deactivate void deactivate() {
        for (MachineImpl m : List.copyOf(machines.values())) destroy(m);
    }
}
