package org.orrery.machine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.orrery.machine.clock.VirtualClock;

/** -icount's clock: time is retired instructions, deadlines are instruction counts, idle time is skipped. */
class InstructionCountingClockTest {
    private final AtomicLong retired = new AtomicLong();
    private final MachineClock clock = new MachineClock();

    @Test void timeIsInstructionsTimesTwoToTheShift() throws Exception {
        assertFalse(clock.countsInstructions());
        clock.countInstructions(3, retired::get);
        assertTrue(clock.countsInstructions());
        retired.set(1000);
        assertEquals(8000, clock.nanos());
        Thread.sleep(5);
        assertEquals(8000, clock.nanos(), "host time does not move it");
    }

    @Test void theNextDeadlineIsCountedInInstructionsRoundedUp() {
        clock.countInstructions(2, retired::get);
        assertEquals(Long.MAX_VALUE, clock.instructionsToNextDeadline(), "no timer armed");
        AtomicInteger fired = new AtomicInteger();
        VirtualClock.Timer t = clock.newTimer(fired::incrementAndGet);
        t.armAt(4001);                       // 1000.25 instructions of 4 ns away
        assertEquals(1001, clock.instructionsToNextDeadline());
        retired.set(1000);
        assertEquals(0, clock.fireDue());
        assertEquals(1, clock.instructionsToNextDeadline());
        retired.set(1001);
        assertEquals(0, clock.instructionsToNextDeadline());
        assertEquals(1, clock.fireDue());
        assertEquals(1, fired.get());
    }

    @Test void idleTimeIsSkippedOnTopOfTheInstructions() {
        clock.countInstructions(0, retired::get);
        retired.set(500);
        clock.newTimer(() -> { }).armAt(10_000);
        clock.skipIdle(clock.nanosToNextDeadline());
        assertEquals(10_000, clock.nanos());
        assertEquals(0, clock.instructionsToNextDeadline());
        retired.set(600);
        assertEquals(10_100, clock.nanos());
    }
}
