package org.orrery.device.support;

import org.junit.jupiter.api.Test;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DeviceTypesTest {
    /** A table of two types, as a bundle declares one. */
    static final class TwoTypes extends DeviceTypes {
        TwoTypes() {
            super(() -> TypeDescription.named("test-bus").parent("bus").abstractType(),
                  () -> TypeDescription.named("test-device").parent("device").description("made for the test"));
        }
    }

    final List<String> log = new ArrayList<>();
    final List<TypeProvider> registered = new ArrayList<>();

    /** A bundle context that records the services registered through it and their unregistration. */
    BundleContext context(boolean unregisterFails) {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{BundleContext.class}, (p, m, args) -> {
            if (!m.getName().equals("registerService") || args[0] != TypeProvider.class) throw new AssertionError("unexpected " + m);
            TypeProvider provider = (TypeProvider) args[1];
            registered.add(provider);
            log.add("register " + provider.describe().name());
            return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{ServiceRegistration.class}, (r, rm, rargs) -> {
                if (!rm.getName().equals("unregister")) throw new AssertionError("unexpected " + rm);
                log.add("unregister " + provider.describe().name());
                if (unregisterFails) throw new IllegalStateException("already unregistered");
                return null;
            });
        });
    }

    @Test void eachRowIsATypeProviderOfItsOwn() {
        TypeProvider[] providers = new TwoTypes().providers();
        assertEquals(2, providers.length);
        assertEquals("test-bus", providers[0].describe().name());
        assertTrue(providers[0].describe().isAbstract());
        assertEquals("made for the test", providers[1].describe().description());
        assertNotSame(providers[0], providers[1]);
    }

    @Test void anActiveTableRegistersEveryRowAndTakesThemAwayWhenDeactivated() {
        TwoTypes table = new TwoTypes();
        table.activate(context(false));
        assertEquals(List.of("register test-bus", "register test-device"), log);
        assertEquals(List.of(table.providers()), registered);
        table.deactivate();
        assertEquals(List.of("register test-bus", "register test-device", "unregister test-device", "unregister test-bus"), log);
        table.deactivate(); // nothing left to take away
        assertEquals(4, log.size());
    }

    @Test void servicesTheFrameworkAlreadyTookAwayAreNoError() {
        TwoTypes table = new TwoTypes();
        table.activate(context(true));
        table.deactivate();
        assertEquals(List.of("register test-bus", "register test-device", "unregister test-device", "unregister test-bus"), log);
    }
}
