package org.orrery.qmp.server.internal;

import org.orrery.command.Session;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds QMP commands while the command line configures the machine (the command-line bundle registers its
 * session as a marker service meanwhile): as QEMU answers its monitors only once the command line is applied,
 * a client's first command sees every -device, -display and -chardev in place, though the client may connect,
 * be greeted and negotiate as soon as its socket exists. Bounded: a command line that hangs does not take the
 * monitor with it.
 */
final class CommandLineGate {
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

    /** Returns once no command line is configuring, or after the wait given. */
    void await() {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        synchronized (configuring) {
            long left;
            while (!configuring.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
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
