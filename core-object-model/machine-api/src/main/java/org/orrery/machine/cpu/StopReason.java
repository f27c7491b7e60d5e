package org.orrery.machine.cpu;

/** Why {@link Hart#run(long)} returned. */
public enum StopReason {
    /** The instruction budget was used up. */
    BUDGET,
    /** The hart executed WFI and no interrupt is pending; it needs no time until one is. */
    WAITING_FOR_INTERRUPT,
    /** Something asked the hart to return early (a device changed state, a command is waiting). */
    EXIT_REQUESTED,
    /** A breakpoint was reached; the pc is at the breakpoint, not yet executed. */
    BREAKPOINT,
    /** A watchpoint was hit; see {@link HartDebug#lastWatchpointAddress()}. */
    WATCHPOINT,
    /** Single-step mode retired (or trapped on) one instruction. */
    STEP
}
