package org.orrery.command.internal;

import org.orrery.command.Session;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Holds the commands of every session but the command line's while the command line configures the machine
 * (the command-line bundle registers its session as a marker service meanwhile): as QEMU answers its monitors
 * only once the command line is applied, a QMP or human-monitor client's first command sees every -device,
 * -display and -chardev in place, though the client may connect as soon as its socket exists. The wait is
 * bounded; the command line's own commands pass.
 */
final class CommandLineGate implements Consumer<Session> {
    private final long waitMillis;
    private final List<Session> configuring = new ArrayList<>();

    CommandLineGate(long waitMillis) { this.waitMillis = waitMillis; }

    void add(Session commandLine) {
        synchronized (configuring) {
            configuring.add(commandLine);
        }
    }

    void remove(Session commandLine) {
        synchronized (configuring) {
            configuring.remove(commandLine);
            configuring.notifyAll();
        }
    }

    /** Waits while a command line other than {@code asking} is configuring (at most the wait given). */
    @Override public void accept(Session asking) {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        synchronized (configuring) {
            long left;
            while (!configuring.isEmpty() && !configuring.contains(asking) && (left = deadline - System.nanoTime()) > 0) {
                try {
                    configuring.wait(left / 1_000_000 + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
