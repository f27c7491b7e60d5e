package org.orrery.machine.cpu;

import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.memory.AddressSpace;

/**
 * What a machine gives a hart when it creates it: the bus it reaches memory through, the clock its
 * time CSR and timers follow, and the timebase frequency of that time (10 MHz on virt).
 */
public record HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency) {
    /** The platform's mtime now: virtual nanoseconds scaled to the timebase. */
    public long mtime() {
        return clock.nanos() / (1_000_000_000L / timebaseFrequency);
    }

    /** The virtual time in nanoseconds at which mtime reaches {@code ticks}. */
    public long nanosAtTicks(long ticks) {
        long perTick = 1_000_000_000L / timebaseFrequency;
        return ticks > Long.MAX_VALUE / perTick ? Long.MAX_VALUE : ticks * perTick;
    }
}
