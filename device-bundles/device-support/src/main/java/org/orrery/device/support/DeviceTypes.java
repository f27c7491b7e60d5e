package org.orrery.device.support;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A bundle's types as one table, for those that belong to no device class of their own (buses, abstract bases,
 * devices declared apart from their classes): one Declarative Services component that, while active, registers a
 * {@link TypeProvider} service for each row. The registry sees what one component per type would give it: each type
 * is described when its service arrives and goes with it, with the bundle. A device class that carries its own type
 * uses {@link DeviceType} instead.
 *
 * <p>The rows come in table order and go in reverse. A type whose instances make instances of others (a bus, a
 * function of their own) comes after those others: when it comes back with an updated bundle, the devices of it
 * that the machine makes again at once find every type they need.
 *
 * <pre>
 * &#64;Component
 * public final class MyTypes extends DeviceTypes {
 *     public MyTypes() {
 *         super(() -&gt; TypeDescription.named("my-bus").parent("bus").creates(MyBus::new),
 *               () -&gt; MmioDevice.type(MyDevice.TYPE, MyDevice.class, MyDevice::new));
 *     }
 * }
 * </pre>
 */
public abstract class DeviceTypes {
    private final List<TypeProvider> providers = new ArrayList<>();
    private final List<ServiceRegistration<TypeProvider>> registrations = new ArrayList<>();

    @SafeVarargs
    protected DeviceTypes(Supplier<TypeDescription>... rows) {
        for (Supplier<TypeDescription> row : rows) providers.add(new DeviceType(row) { });
    }

    /** A provider per row, in the table's order: what this component registers (tests use them without OSGi). */
    public final TypeProvider[] providers() { return providers.toArray(TypeProvider[]::new); }

    @Activate protected void activate(BundleContext context) {
        for (TypeProvider p : providers) registrations.add(context.registerService(TypeProvider.class, p, null));
    }

    @Deactivate protected void deactivate() {
        for (ServiceRegistration<TypeProvider> r : registrations.reversed()) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework took it away with the stopping bundle first
            }
        }
        registrations.clear();
    }
}
