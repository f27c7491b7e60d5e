package org.orrery.device.testing;

import org.orrery.machine.clock.VirtualClock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A virtual clock tests move by hand; timers fire in deadline order as time passes them. */
public final class ManualClock implements VirtualClock {
    private long now;
    private long sequence;
    private final List<T> armed = new ArrayList<>();

    @Override public long nanos() { return now; }

    /** Moves time forward by {@code delta} nanoseconds, firing every timer that falls due on the way. */
    public void advance(long delta) { advanceTo(now + delta); }

    public void advanceTo(long target) {
        while (true) {
            T next = armed.stream().filter(t -> t.deadline <= target)
                    .min(Comparator.<T>comparingLong(t -> t.deadline).thenComparingLong(t -> t.order)).orElse(null);
            if (next == null) break;
            now = Math.max(now, next.deadline);
            armed.remove(next);
            next.callback.run();
        }
        now = Math.max(now, target);
    }

    public int armedTimers() { return armed.size(); }

    @Override public Timer newTimer(Runnable callback) { return new T(callback); }

    private final class T implements Timer {
        final Runnable callback;
        long deadline;
        long order;

        T(Runnable callback) { this.callback = callback; }

        @Override public void armAt(long deadlineNanos) {
            armed.remove(this);
            deadline = deadlineNanos;
            order = sequence++;
            armed.add(this);
        }

        @Override public void cancel() { armed.remove(this); }

        @Override public boolean armed() { return armed.contains(this); }

        @Override public long deadline() { return deadline; }
    }
}
