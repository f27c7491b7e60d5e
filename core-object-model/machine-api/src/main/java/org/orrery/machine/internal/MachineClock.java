package org.orrery.machine.internal;

import org.orrery.machine.clock.VirtualClock;

import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * Virtual time: host monotonic time minus the time the machine spent stopped. Timers are kept in a
 * deadline queue and fired by the machine thread. Harts arm their own timers from their threads, so the
 * queue is guarded by this object's monitor; callbacks run outside it.
 *
 * <p>Under {@code -icount} time is instead the instructions the harts retired, 2<sup>shift</sup> ns each,
 * plus the time skipped while every hart waited for an interrupt; the hart's own thread fires the timers,
 * between slices that end exactly at the next deadline, so a run depends on nothing but its inputs.
 */
final class MachineClock implements VirtualClock {
    private volatile LongSupplier instructions;
    private volatile int shift;
    private volatile long idleNanos;
    private volatile long offset;
    private volatile long frozenAt;
    private volatile boolean running;
    private long sequence;
    private volatile java.util.function.LongConsumer onArm = deadline -> { };

    /** Told the deadline whenever a timer is armed (the machine wakes its thread when that happens off the thread). */
    void onArm(java.util.function.LongConsumer hook) { this.onArm = hook; }
    private final PriorityQueue<TimerImpl> queue = new PriorityQueue<>((a, b) ->
            a.deadline != b.deadline ? Long.compare(a.deadline, b.deadline) : Long.compare(a.order, b.order));

    @Override public long nanos() {
        LongSupplier counted = instructions;
        if (counted != null) return (counted.getAsLong() << shift) + idleNanos;
        return running ? System.nanoTime() - offset : frozenAt;
    }

    /** From now on time is {@code instructions} retired, 2^shift ns each (set before any hart runs). */
    void countInstructions(int shift, LongSupplier instructions) {
        if (shift < 0 || shift > 10) throw new IllegalArgumentException("icount shift " + shift);
        this.shift = shift;
        this.instructions = instructions;
    }

    @Override public boolean countsInstructions() { return instructions != null; }

    /** Under -icount: the instructions the harts may retire before the earliest timer is due (0: one is due). */
    synchronized long instructionsToNextDeadline() {
        TimerImpl t = queue.peek();
        if (t == null) return Long.MAX_VALUE;
        long left = t.deadline - nanos();
        return left <= 0 ? 0 : ((left - 1) >> shift) + 1;
    }

    /** Under -icount: every hart waits for an interrupt, and {@code nanos} of virtual time pass without instructions. */
    void skipIdle(long nanos) {
        if (nanos > 0) idleNanos += nanos;   // only the hart's thread moves it (-icount runs one hart)
    }

    synchronized void start() {
        if (running) return;
        offset = System.nanoTime() - frozenAt;
        running = true;
    }

    synchronized void stop() {
        if (!running) return;
        frozenAt = System.nanoTime() - offset;
        running = false;
    }

    boolean isRunning() { return running; }

    /** Sets virtual time to {@code nanos} (a loaded state's), while stopped. */
    synchronized void restore(long nanos) {
        LongSupplier counted = instructions;
        if (counted != null) idleNanos = nanos - (counted.getAsLong() << shift);
        else if (running) offset = System.nanoTime() - nanos;
        else frozenAt = nanos;
    }

    @Override public Timer newTimer(Runnable callback) { return new TimerImpl(callback); }

    /** Virtual nanoseconds until the earliest armed timer, or Long.MAX_VALUE. */
    synchronized long nanosToNextDeadline() {
        TimerImpl t = queue.peek();
        return t == null ? Long.MAX_VALUE : Math.max(0, t.deadline - nanos());
    }

    /** Fires every timer whose deadline has passed; returns how many fired. */
    int fireDue() {
        int fired = 0;
        while (true) {
            TimerImpl t;
            synchronized (this) {
                t = queue.peek();
                if (t == null || t.deadline > nanos()) return fired;
                queue.poll();
                t.armed = false;
            }
            t.callback.run();
            fired++;
        }
    }

    private final class TimerImpl implements Timer {
        private final Runnable callback;
        private long deadline;
        private long order;
        private boolean armed;

        TimerImpl(Runnable callback) { this.callback = callback; }

        @Override public void armAt(long deadlineNanos) {
            synchronized (MachineClock.this) {
                if (armed) queue.remove(this);
                deadline = deadlineNanos;
                order = sequence++;
                armed = true;
                queue.add(this);
            }
            onArm.accept(deadlineNanos);
        }

        @Override public void cancel() {
            synchronized (MachineClock.this) {
                if (armed) { queue.remove(this); armed = false; }
            }
        }

        @Override public boolean armed() {
            synchronized (MachineClock.this) { return armed; }
        }

        @Override public long deadline() {
            synchronized (MachineClock.this) { return deadline; }
        }
    }
}
