package org.orrery.qmp.server.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts the server's virtual threads and knows which are still alive, so tests (and a bundle stop)
 * can prove none outlives its session.
 */
final class ThreadTracker {
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();

    Thread start(String name, Runnable task) {
        Thread.Builder b = Boolean.getBoolean("orrery.qmp.platformThreads") ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
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
