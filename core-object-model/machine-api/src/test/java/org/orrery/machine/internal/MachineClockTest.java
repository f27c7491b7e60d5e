package org.orrery.machine.internal;

import org.junit.jupiter.api.Test;
import org.orrery.machine.clock.VirtualClock;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Virtual time stands still while stopped; timers fire in deadline order, each once, when the machine thread asks. */
class MachineClockTest {
    final MachineClock clock = new MachineClock();

    @Test void timeStandsStillWhileStoppedAndAdvancesWhileRunning() throws Exception {
        long t0 = clock.nanos();
        Thread.sleep(5);
        assertEquals(t0, clock.nanos(), "stopped: no time passes");
        clock.start();
        Thread.sleep(5);
        long running = clock.nanos();
        assertTrue(running - t0 >= 4_000_000L, "running: time passes, " + (running - t0));
        clock.stop();
        long stopped = clock.nanos();
        Thread.sleep(5);
        assertEquals(stopped, clock.nanos());
        clock.start();
        assertTrue(clock.nanos() - stopped < 4_000_000L, "the stopped time is not counted");
    }

    @Test void timersFireInDeadlineOrderThenInArmingOrder() {
        List<String> fired = new ArrayList<>();
        VirtualClock.Timer late = clock.newTimer(() -> fired.add("late"));
        VirtualClock.Timer early = clock.newTimer(() -> fired.add("early"));
        VirtualClock.Timer tie = clock.newTimer(() -> fired.add("tie"));
        late.armAt(-100);
        early.armAt(-300);
        tie.armAt(-100);
        assertEquals(0, clock.nanosToNextDeadline(), "a passed deadline is due now");
        assertEquals(3, clock.fireDue());
        assertEquals(List.of("early", "late", "tie"), fired);
        assertFalse(late.armed());
        assertEquals(0, clock.fireDue(), "each fires once");
    }

    @Test void futureTimersWaitAndRearmingMovesThem() {
        List<String> fired = new ArrayList<>();
        VirtualClock.Timer t = clock.newTimer(() -> fired.add("t"));
        t.armAt(clock.nanos() + 1_000_000_000L);
        assertTrue(t.armed());
        long wait = clock.nanosToNextDeadline();
        assertTrue(wait > 0 && wait <= 1_000_000_000L, "" + wait);
        assertEquals(0, clock.fireDue());
        t.armAt(clock.nanos() - 1);
        assertEquals(1, clock.fireDue());
        assertEquals(List.of("t"), fired);
    }

    @Test void cancelledTimersDoNotFireAndArmingTellsTheMachine() {
        int[] told = {0};
        clock.onArm(deadline -> told[0]++);
        VirtualClock.Timer t = clock.newTimer(() -> fail("cancelled timer fired"));
        t.armAt(0);
        t.cancel();
        assertFalse(t.armed());
        assertEquals(Long.MAX_VALUE, clock.nanosToNextDeadline());
        assertEquals(0, clock.fireDue());
        assertEquals(1, told[0]);
    }

    @Test void aCallbackMayArmItsOwnTimerAgain() {
        int[] count = {0};
        VirtualClock.Timer[] self = new VirtualClock.Timer[1];
        self[0] = clock.newTimer(() -> { if (++count[0] < 3) self[0].armAt(clock.nanos() - 1); });
        self[0].armAt(clock.nanos() - 1);
        assertEquals(3, clock.fireDue());
        assertEquals(3, count[0]);
    }
}
