package org.orrery.qmp.server.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts the server's threads and knows which are still alive, so tests (and a bundle stop) can prove
 * none outlives its session. Platform threads by default: a QMP server has few clients, and a
 * platform thread answers a round trip without the poller and carrier hand-offs a virtual thread pays
 * (about twice the qom-get rate here); -Dorrery.qmp.virtualThreads=true selects virtual threads.
 */
final class ThreadTracker {
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();

    Thread start(String name, Runnable task) {
        Thread.Builder b = Boolean.getBoolean("orrery.qmp.virtualThreads") ? Thread.ofVirtual() : Thread.ofPlatform().daemon(true);
        Thread t = b.name(name).unstarted(() -> {
            try {
                task.run();
            } finally {
                live.remove(Thread.currentThread());
            }
        });
        live.add(t);
        t.start();
        return t;
    }

    int liveCount() { return live.size(); }

    List<Thread> live() { return List.copyOf(live); }
}
