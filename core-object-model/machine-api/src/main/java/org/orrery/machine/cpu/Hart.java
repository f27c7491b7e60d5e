package org.orrery.machine.cpu;

import org.orrery.machine.irq.IrqLine;

/**
 * One hardware thread as the machine drives it. The machine runs each hart on a thread of its own (its
 * vCPU thread), which calls {@link #run}; the other methods are called while the hart is not running (the
 * machine stops it at a safe point first), except {@link #requestExit()}, {@link #interruptPin} lines and
 * {@link #waitingForInterrupt()}, which any thread may use at any time.
 */
public interface Hart {
    int hartId();

    /**
     * Executes guest code until about {@code budget} instructions have retired or another reason in
     * {@link StopReason} applies. Never throws because of anything the guest does: guest faults become traps.
     */
    StopReason run(long budget);

    /** Instructions retired since reset (the value minstret would show without writes). */
    long instructionsRetired();

    /** Resets the architectural state: pc to the reset vector, M-mode, CSRs to their reset values. */
    void reset();

    /** The input wire that drives the given mip bit. */
    IrqLine interruptPin(InterruptPin pin);

    /** Makes the current or next {@link #run(long)} return at the next block boundary. Thread-safe. */
    void requestExit();

    /**
     * Tells the hart whom to wake when something may end its wait for an interrupt (a pin changed, an exit
     * was requested): the machine parks a hart's thread while the hart waits. Called from any thread.
     */
    default void setWakeListener(Runnable wake) { }

    /** True while the hart sits in WFI with no enabled interrupt pending. */
    boolean waitingForInterrupt();

    /** Registers, memory as the hart sees it, breakpoints and stepping, for the gdb stub and monitors. */
    HartDebug debug();

    /** The hart's architectural state, to carry over to the hart that replaces it; null when it cannot say. Not while it runs. */
    default HartState saveState() { return null; }

    /**
     * Takes over {@code state} (saved by {@link #saveState()} of a hart of the same kind), instead of starting
     * from reset. Not while it runs.
     *
     * @throws IllegalArgumentException when the state is not one this hart can take (another ISA or layout)
     */
    default void restoreState(HartState state) {
        throw new IllegalArgumentException("this hart cannot take over a saved state");
    }

    /** What the hart's translator has done, or null when the hart has none (it only interprets). */
    default TranslationStatistics translationStatistics() { return null; }

    /**
     * Releases what the hart holds outside itself (listeners on the address space, timers, background
     * threads, generated code). The hart never runs again afterwards. Called when its CPU is unrealized.
     */
    default void close() { }
}
