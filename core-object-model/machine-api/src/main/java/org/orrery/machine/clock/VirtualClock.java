package org.orrery.machine.clock;

/**
 * The machine's virtual time in nanoseconds: it advances while the machine runs and stands still while
 * it is stopped. Timers armed on it fire on the machine thread.
 */
public interface VirtualClock {
    long nanos();

    /**
     * True when virtual time follows the instructions the harts retire (QEMU's {@code -icount}) instead of
     * the host's clock: a run is then a function of its inputs, so engines must not let host timing decide
     * anything the guest can see (a hart translates synchronously, for one).
     */
    default boolean countsInstructions() { return false; }

    /** Creates a disarmed timer whose callback runs on the machine thread. */
    Timer newTimer(Runnable callback);

    interface Timer {
        /** Arms (or re-arms) the timer to fire when virtual time reaches {@code deadlineNanos}. */
        void armAt(long deadlineNanos);

        void cancel();

        boolean armed();

        /** The deadline it is armed for (meaningful while {@link #armed()}): what a saved state keeps. */
        long deadline();
    }
}
