package org.orrery.qom.internal;

import org.orrery.qom.ObjectType;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeDeriver;
import org.orrery.qom.TypeProvider;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.ServiceReference;
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

    void removeProvider(TypeProvider provider) {
        registry.remove(provider);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addDeriver(ServiceReference<TypeDeriver> ref, TypeDeriver deriver) {
        registry.addDeriver(deriver, deriver, ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName());
    }

    void removeDeriver(TypeDeriver deriver) {
        registry.remove(deriver);
    }

    @Override public Optional<ObjectType> find(String name) { return registry.find(name); }
    @Override public ObjectType require(String name) { return registry.require(name); }
    @Override public List<ObjectType> list(String implementsType, boolean includeAbstract) { return registry.list(implementsType, includeAbstract); }
    @Override public Map<String, String> unavailable() { return registry.unavailable(); }
    @Override public void addListener(Listener listener) { registry.addListener(listener); }
    @Override public void removeListener(Listener listener) { registry.removeListener(listener); }
}
