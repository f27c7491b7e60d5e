package org.orrery.cpu.riscv.testing;

import java.util.ArrayList;
import java.util.List;

import org.orrery.machine.clock.VirtualClock;

/** A deterministic virtual clock: time moves only when the test machine advances it. */
public final class TestClock implements VirtualClock {
    private long now;
    private final List<T> timers = new ArrayList<>();

    private final class T implements Timer {
        final Runnable cb;
        long deadline;
        boolean armed;
        T(Runnable cb) { this.cb = cb; }
        @Override public void armAt(long d) { deadline = d; armed = true; }
        @Override public void cancel() { armed = false; }
        @Override public boolean armed() { return armed; }
        @Override public long deadline() { return deadline; }
    }

    @Override public long nanos() { return now; }

    @Override public Timer newTimer(Runnable callback) {
        T t = new T(callback);
        timers.add(t);
        return t;
    }

    /** Moves time forward and fires the timers that are due. */
    public void advanceTo(long t) {
        if (t > now) now = t;
        boolean fired = true;
        while (fired) {
            fired = false;
            for (T timer : List.copyOf(timers)) {
                if (timer.armed && timer.deadline <= now) { timer.armed = false; timer.cb.run(); fired = true; }
            }
        }
    }

    /** The earliest armed deadline, or -1. */
    public long nextDeadline() {
        long best = -1;
        for (T t : timers) if (t.armed && (best < 0 || t.deadline < best)) best = t.deadline;
        return best;
    }
}
