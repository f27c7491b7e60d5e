package org.orrery.machine.cpu;

import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.memory.AddressSpace;

/**
 * What a machine gives a hart when it creates it: the bus it reaches memory through, the clock its
 * time CSR and timers follow, the timebase frequency of that time (10 MHz on virt), and how it should
 * execute guest code.
 */
public record HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency,
                              Acceleration acceleration) {
    /** An environment with the default acceleration (translation on). */
    public HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency) {
        this(addressSpace, clock, timebaseFrequency, Acceleration.DEFAULT);
    }

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
