package org.orrery.qom;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * A phase of the container's start that callers may have to wait out, as markers (services) announce it. While the
 * launcher is still starting bundles it keeps markers registered ({@link Runnable} services with
 * {@code orrery.startup=pending}, and {@code orrery.startup.types=pending} until the bundles that may bring types
 * have started); the bundles a command line may not need start only when something needs them. A registry
 * about to answer that something is unknown, or to list what is installed, calls {@link #await} first: that runs
 * the markers, which asks the launcher for the rest of the start, and waits (bounded) until they are gone, so a
 * caller gets the answer of the fully started container. The command line marks the time it
 * configures the machine the same way ({@code orrery.commandline=running}), which the QMP server waits out.
 * A marker that is also a {@code Predicate<String>} can bring one named thing alone (the bundle that declares a
 * command): {@link #await(String)} asks it first and waits for the whole start only when it cannot.
 * Without a launcher (tests, Pax Exam) there is no marker and nothing waits.
 */
public final class ContainerStart {
    private static final Logger LOG = Logger.getLogger(ContainerStart.class.getName());
    private final long waitMillis;
    private final List<Runnable> markers = new ArrayList<>();

    /** A phase a caller waits out for at most 30 s (the start of the container's bundles). */
    public ContainerStart() { this(30_000); }

    /** A phase a caller waits out for at most {@code waitMillis}. */
    public ContainerStart(long waitMillis) { this.waitMillis = waitMillis; }

    public void markerAdded(Runnable marker) {
        synchronized (markers) {
            markers.add(marker);
        }
    }

    public void markerRemoved(Runnable marker) {
        synchronized (markers) {
            markers.remove(marker);
            markers.notifyAll();
        }
    }

    /** Asks for the rest of the phase and waits until it is over (bounded); returns at once when none is under way. */
    public void await() { await(null); }

    /**
     * Asks for what brings {@code wanted} (a command's name, or null for everything): a marker that can bring it
     * alone does so before this returns; otherwise this asks for the rest of the phase and waits until it is
     * over (bounded). Returns at once when no phase is under way. True when a marker brought what declares
     * {@code wanted} alone (its services may still be arriving); a caller that still misses it then, after a
     * while, asks again with null.
     */
    @SuppressWarnings("unchecked")
    public boolean await(String wanted) {
        List<Runnable> asked;
        synchronized (markers) {
            if (markers.isEmpty()) return false;
            asked = List.copyOf(markers);
        }
        if (wanted != null) {
            for (Runnable marker : asked) {
                try {
                    if (marker instanceof Predicate<?> bringer && ((Predicate<String>) bringer).test(wanted)) return true;
                } catch (RuntimeException e) {
                    LOG.warning("asking the start for " + wanted + " failed: " + e);
                }
            }
        }
        for (Runnable marker : asked) {
            try {
                marker.run();
            } catch (RuntimeException e) {
                LOG.warning("asking for the rest of the start failed: " + e);
            }
        }
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        synchronized (markers) {
            long left;
            while (!markers.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    markers.wait(left / 1_000_000 + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
