package org.orrery.qom.internal;

import org.orrery.qom.ContainerStart;
import org.orrery.qom.ObjectType;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeDeriver;
import org.orrery.qom.TypeProvider;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The registry as an OSGi service: a whiteboard of {@link TypeProvider} services, tracked dynamically. */
@Component(service = TypeRegistry.class, immediate = true)
public final class TypeRegistryComponent implements TypeRegistry {
    private final TypeRegistryImpl registry = new TypeRegistryImpl();
    /**
     * The launcher's start of the bundles that may bring types (those a command line may not need start only when
     * something needs them): a type not known yet, and the listings, ask for it and wait.
     */
    private final ContainerStart start = new ContainerStart();

    public TypeRegistryComponent() {
        registry.setStartupWait(start::await);
    }

    @Reference(service = Runnable.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(orrery.startup.types=pending)")
    void addStartupPending(Runnable marker) { start.markerAdded(marker); }

    void removeStartupPending(Runnable marker) { start.markerRemoved(marker); }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addProvider(ServiceReference<TypeProvider> ref, TypeProvider provider) {
        String bundle = ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName();
        TypeDescription d;
        try {
            d = provider.describe();
        } catch (RuntimeException | LinkageError e) {
            registry.addBroken(provider, provider.getClass().getName(), "describe() of " + bundle + " failed: " + e);
            return;
        }
        registry.add(provider, d, bundle);
    }

    void removeProvider(ServiceReference<TypeProvider> ref, TypeProvider provider) {
        registry.remove(provider, isBeingUpdated(ref.getBundle()));
    }

    /**
     * True when the bundle stops only for now: an update or a refresh stops it without changing its persistent
     * state, while stop and uninstall mark it stopped first (OSGi core, Bundle.stop and Bundle.update). A
     * container that is shutting down replaces nothing.
     */
    static boolean isBeingUpdated(Bundle bundle) {
        if (bundle == null || bundle.getState() == Bundle.UNINSTALLED) return false;
        try {
            Bundle system = bundle.getBundleContext() == null ? null : bundle.getBundleContext().getBundle(0);
            if (system == null || system.getState() == Bundle.STOPPING) return false;
            BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
            return level != null && level.isPersistentlyStarted();
        } catch (IllegalStateException | SecurityException e) {
            return false;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addDeriver(ServiceReference<TypeDeriver> ref, TypeDeriver deriver) {
        registry.addDeriver(deriver, deriver, ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName());
    }

    void removeDeriver(ServiceReference<TypeDeriver> ref, TypeDeriver deriver) {
        registry.remove(deriver, isBeingUpdated(ref.getBundle()));
    }

    @Override public Optional<ObjectType> find(String name) { return registry.find(name); }
    @Override public ObjectType require(String name) { return registry.require(name); }
    @Override public List<ObjectType> list(String implementsType, boolean includeAbstract) { return registry.list(implementsType, includeAbstract); }
    @Override public Map<String, String> unavailable() { return registry.unavailable(); }
    @Override public void addListener(Listener listener) { registry.addListener(listener); }
    @Override public void removeListener(Listener listener) { registry.removeListener(listener); }
}
