package org.orrery.launcher;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Starts resolved bundles on a few threads, each bundle only once every bundle of the same batch it is
 * wired to (imports from, requires) has started. The bundles that the rest build on (object model,
 * command layer, machine API) therefore start first, and the many independent ones (devices, backends,
 * front-ends) then start side by side: starting a bundle is mostly its components activating, which is
 * work on the starting thread.
 */
final class ParallelStart {
    private final Map<Bundle, Set<Bundle>> waitingOn = new LinkedHashMap<>();
    private final Map<Bundle, List<Bundle>> dependents = new HashMap<>();
    private final Deque<Bundle> ready = new ArrayDeque<>();
    private int running;

    private ParallelStart(List<Bundle> bundles) {
        Set<Bundle> batch = new HashSet<>(bundles);
        for (Bundle bundle : bundles) {
            Set<Bundle> providers = new HashSet<>();
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            if (wiring != null) {
                for (BundleWire wire : wiring.getRequiredWires(null)) {
                    Bundle provider = wire.getProvider().getBundle();
                    if (provider != bundle && batch.contains(provider)) providers.add(provider);
                }
            }
            waitingOn.put(bundle, providers);
            for (Bundle provider : providers) dependents.computeIfAbsent(provider, p -> new ArrayList<>()).add(bundle);
        }
        for (Map.Entry<Bundle, Set<Bundle>> entry : waitingOn.entrySet()) {
            if (entry.getValue().isEmpty()) ready.add(entry.getKey());
        }
    }

    /**
     * Runs {@code start} for every bundle on up to {@code threads} threads (the caller's among them) and
     * returns when all are done. A wiring cycle (which OSGi allows) is broken by starting the earliest
     * waiting bundle anyway.
     */
    static void start(List<Bundle> bundles, int threads, Consumer<Bundle> start) throws InterruptedException {
        if (bundles.isEmpty()) return;
        ParallelStart plan = new ParallelStart(bundles);
        List<Thread> helpers = new ArrayList<>();
        for (int i = 1; i < Math.min(threads, bundles.size()); i++) {
            helpers.add(Thread.ofPlatform().name("orrery-start-" + i).daemon(true).start(() -> plan.work(start)));
        }
        plan.work(start);
        for (Thread helper : helpers) helper.join();
    }

    private void work(Consumer<Bundle> start) {
        Bundle next;
        while ((next = take()) != null) {
            try {
                start.accept(next);
            } finally {
                finished(next);
            }
        }
    }

    /** The next bundle whose providers have all started, or null when none is left to start. */
    private synchronized Bundle take() {
        while (true) {
            Bundle next = ready.poll();
            if (next == null && running == 0 && !waitingOn.isEmpty()) {
                next = waitingOn.keySet().iterator().next();   // only a wiring cycle is left
            }
            if (next != null) {
                waitingOn.remove(next);
                running++;
                return next;
            }
            if (waitingOn.isEmpty()) return null;
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private synchronized void finished(Bundle bundle) {
        running--;
        for (Bundle dependent : dependents.getOrDefault(bundle, List.of())) {
            Set<Bundle> providers = waitingOn.get(dependent);
            if (providers != null && providers.remove(bundle) && providers.isEmpty()) ready.add(dependent);
        }
        notifyAll();
    }
}
