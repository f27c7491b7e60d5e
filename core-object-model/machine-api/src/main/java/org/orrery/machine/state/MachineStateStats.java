package org.orrery.machine.state;

/**
 * What saving or loading a whole machine's state moved: stream bytes, RAM pages carried and zero pages skipped,
 * device states, and how long it took (query-migrate reports these).
 */
public record MachineStateStats(long bytes, long normalPages, long zeroPages, int devices, long nanos, boolean wasRunning) {
    /** Bytes of a RAM page as counted here. */
    public static final int PAGE = 4096;
}
