package org.orrery.machine.cpu;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.memory.AddressSpace;

/**
 * What a machine gives a hart when it creates it: the bus it reaches memory through, the clock its
 * time CSR and timers follow, the timebase frequency of that time (10 MHz on virt), how it should
 * execute guest code, and the lock it holds while it touches a device (the machine's big lock).
 *
 * <p>Harts run on threads of their own, without the lock: guest RAM is shared memory, but devices are only
 * ever entered under {@code deviceLock}, so device code never runs concurrently with itself.
 */
public record HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency,
                              Acceleration acceleration, Lock deviceLock) {
    /** An environment with the default acceleration (translation on) and a lock of its own. */
    public HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency) {
        this(addressSpace, clock, timebaseFrequency, Acceleration.DEFAULT);
    }

    /** An environment with a lock of its own (machines of one hart, tests). */
    public HartEnvironment(AddressSpace addressSpace, VirtualClock clock, long timebaseFrequency, Acceleration acceleration) {
        this(addressSpace, clock, timebaseFrequency, acceleration, new ReentrantLock());
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
