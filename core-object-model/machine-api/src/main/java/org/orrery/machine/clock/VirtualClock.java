package org.orrery.machine.clock;

/**
 * The machine's virtual time in nanoseconds: it advances while the machine runs and stands still while
 * it is stopped. Timers armed on it fire on the machine thread.
 */
public interface VirtualClock {
    long nanos();

    /** Creates a disarmed timer whose callback runs on the machine thread. */
    Timer newTimer(Runnable callback);

    interface Timer {
        /** Arms (or re-arms) the timer to fire when virtual time reaches {@code deadlineNanos}. */
        void armAt(long deadlineNanos);

        void cancel();

        boolean armed();
    }
}
