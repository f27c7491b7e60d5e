package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

class ParallelStartTest {
    /** Bundles by name, each wired to the bundles named in its list. */
    private final Map<String, Bundle> bundles = new HashMap<>();
    private final Map<Bundle, List<Bundle>> providers = new HashMap<>();

    private Bundle bundle(String name, String... wiredTo) {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Bundle.class}, (self, method, args) ->
                switch (method.getName()) {
                    case "adapt" -> args[0] == BundleWiring.class ? wiring(providers.get((Bundle) self)) : null;
                    case "getSymbolicName", "toString" -> name;
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        List<Bundle> wired = new ArrayList<>();
        for (String provider : wiredTo) wired.add(bundles.get(provider));
        providers.put(bundle, wired);
        bundles.put(name, bundle);
        return bundle;
    }

    private static BundleWiring wiring(List<Bundle> wiredTo) {
        List<BundleWire> wires = new ArrayList<>();
        for (Bundle provider : wiredTo) {
            BundleRevision revision = proxy(BundleRevision.class, Map.of("getBundle", provider));
            wires.add(proxy(BundleWire.class, Map.of("getProvider", revision)));
        }
        return proxy(BundleWiring.class, Map.of("getRequiredWires", wires));
    }

    private static <T> T proxy(Class<T> type, Map<String, Object> answers) {
        return type.cast(Proxy.newProxyInstance(ParallelStartTest.class.getClassLoader(), new Class<?>[]{type},
                (self, method, args) -> {
                    if (answers.containsKey(method.getName())) return answers.get(method.getName());
                    if (method.getName().equals("hashCode")) return System.identityHashCode(self);
                    if (method.getName().equals("equals")) return self == args[0];
                    throw new UnsupportedOperationException(method.getName());
                }));
    }

    @Test
    void everyBundleStartsOnceAndOnlyAfterTheBundlesItIsWiredTo() throws InterruptedException {
        // listed in an order that would start dependents first
        bundle("core");
        bundle("api", "core");
        bundle("device-a", "api", "core");
        bundle("device-b", "api");
        bundle("front-end", "core");
        List<Bundle> order = List.of(bundles.get("device-a"), bundles.get("front-end"), bundles.get("device-b"),
                bundles.get("api"), bundles.get("core"));
        List<String> started = Collections.synchronizedList(new ArrayList<>());

        ParallelStart.start(order, 2, b -> started.add(b.getSymbolicName()));

        assertEquals(5, started.size(), started.toString());
        assertEquals(5, started.stream().distinct().count(), started.toString());
        for (Bundle bundle : order) {
            for (Bundle provider : providers.get(bundle)) {
                assertTrue(started.indexOf(provider.getSymbolicName()) < started.indexOf(bundle.getSymbolicName()),
                        provider.getSymbolicName() + " must start before " + bundle.getSymbolicName() + ": " + started);
            }
        }
    }

    @Test
    void independentBundlesStartSideBySide() throws InterruptedException {
        bundle("core");
        for (int i = 0; i < 6; i++) bundle("leaf" + i, "core");
        List<Bundle> all = new ArrayList<>(bundles.values());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        ParallelStart.start(all, 2, b -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
        });
        assertEquals(2, mostAtOnce.get());
    }

    @Test
    void aWiringCycleStillStartsEveryBundle() throws InterruptedException {
        Bundle x = bundle("x");
        Bundle y = bundle("y", "x");
        providers.get(x).add(y);   // x and y import from each other, which OSGi allows
        List<String> started = Collections.synchronizedList(new ArrayList<>());
        ParallelStart.start(List.of(x, y), 2, b -> started.add(b.getSymbolicName()));
        assertEquals(2, started.size(), started.toString());
    }
}
