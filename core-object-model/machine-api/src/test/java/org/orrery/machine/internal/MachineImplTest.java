package org.orrery.machine.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.device.Board;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.qom.Event;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineImplTest {
    /** A hart that "executes" by counting, so the test sees when the machine runs it. */
    static final class CountingHart implements Hart {
        final AtomicLong executed = new AtomicLong();
        final AtomicInteger resets = new AtomicInteger();
        volatile boolean exitRequested;
        volatile boolean inRun;

        public int hartId() { return 0; }
        public StopReason run(long budget) {
            inRun = true;
            exitRequested = false;
            executed.addAndGet(budget);
            Thread.onSpinWait();
            inRun = false;
            return StopReason.BUDGET;
        }
        public long instructionsRetired() { return executed.get(); }
        volatile boolean resetWhileRunning;
        public void reset() {
            if (inRun) resetWhileRunning = true;
            resets.incrementAndGet();
        }
        public IrqLine interruptPin(InterruptPin pin) { return IrqLine.UNCONNECTED; }
        public void requestExit() { exitRequested = true; }
        public boolean waitingForInterrupt() { return false; }
        public HartDebug debug() { throw new UnsupportedOperationException(); }
    }

    static final class TestBoard extends Board {
        final CountingHart hart = new CountingHart();
        int imagesLoaded;
        public List<Hart> harts() { return List.of(hart); }
        public FdtNode buildDeviceTree() { return new FdtNode(""); }
        public void loadImages() { imagesLoaded++; }
        public IrqLine platformIrq(int source) { return IrqLine.UNCONNECTED; }
    }

    private MachineImpl machine;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger exitStatus = new AtomicInteger(-1);

    @BeforeEach void setUp() {
        TypeRegistryImpl types = new TypeRegistryImpl();
        types.add("m", TypeDescription.named("machine").abstractType(), "t");
        types.add("b", TypeDescription.named("test-machine").parent("machine").creates(TestBoard::new), "t");
        machine = new MachineImpl("t", types, exitStatus::set);
        machine.tree().events().subscribe(events::add);
    }

    @AfterEach void tearDown() { machine.destroy(); }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 5 s");
            Thread.sleep(5);
        }
    }

    @Test void runsTheHartOnlyWhileRunningAndEmitsEvents() throws Exception {
        assertEquals(RunState.PRECONFIG, machine.runState());
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); return null; });
        assertEquals(RunState.PRELAUNCH, machine.runState());
        assertEquals(1, b.imagesLoaded);
        Thread.sleep(50);
        assertEquals(0, b.hart.executed.get(), "nothing runs in prelaunch");
        machine.call(() -> { machine.resume(); return null; });
        waitFor(() -> b.hart.executed.get() > 0);
        machine.call(() -> { machine.pause(); return null; });
        long after = b.hart.executed.get();
        long frozen = machine.clock().nanos();
        Thread.sleep(50);
        assertEquals(after, b.hart.executed.get(), "a paused machine executes nothing");
        assertEquals(frozen, machine.clock().nanos(), "virtual time stands still while paused");
        assertEquals(List.of("RESUME", "STOP"), events.stream().map(Event::name).toList());
    }

    /**
     * A hart arms its timer (stimecmp, mtimecmp through a device) on its own thread while the machine thread
     * sleeps until its own next deadline (here none: 100 ms at a time). The machine thread must wake for it:
     * a hart parked in WFI for that timer would otherwise wake up to 100 ms late.
     */
    @Test void aTimerArmedOnAnotherThreadFiresOnTimeWhileTheMachineThreadSleeps() throws Exception {
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); machine.resume(); return null; });
        waitFor(() -> b.hart.executed.get() > 0);
        java.util.Random random = new java.util.Random(7);
        long[] lateness = new long[11];
        for (int i = 0; i < lateness.length; i++) {
            Thread.sleep(5 + random.nextInt(40));   // somewhere inside the machine thread's sleep
            java.util.concurrent.CompletableFuture<Long> fired = new java.util.concurrent.CompletableFuture<>();
            org.orrery.machine.clock.VirtualClock.Timer t = machine.clock().newTimer(() -> fired.complete(machine.clock().nanos()));
            long deadline = machine.clock().nanos() + 1_000_000;
            t.armAt(deadline);
            lateness[i] = fired.get(5, java.util.concurrent.TimeUnit.SECONDS) - deadline;
        }
        java.util.Arrays.sort(lateness);
        // the median is robust to a slow host's odd hiccup; a timer left to the sleep's end is ~50 ms late on average
        assertTrue(lateness[lateness.length / 2] < 20_000_000L, "timers fired late by " + java.util.Arrays.toString(lateness) + " ns");
    }

    @Test void commandsNeverRunWhileTheGuestExecutes() throws Exception {
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); machine.resume(); return null; });
        waitFor(() -> b.hart.executed.get() > 0);
        for (int i = 0; i < 2000; i++) {
            boolean[] overlapped = new boolean[1];
            machine.call(() -> {
                overlapped[0] = b.hart.inRun || !machine.isCurrentThread();
                return null;
            });
            assertTrue(!overlapped[0], "a command ran while the hart executed");
        }
        long before = b.hart.executed.get();
        waitFor(() -> b.hart.executed.get() > before);
        assertTrue(!machine.isCurrentThread(), "outside a call this thread holds nothing");
        String posted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            java.util.concurrent.CompletableFuture<String> f = new java.util.concurrent.CompletableFuture<>();
            machine.post(() -> f.complete(Thread.currentThread().getName()));
            return f.join();
        }).get();
        assertEquals("machine-t", posted, "posted work runs on the machine thread");
    }

    /** What QMP's queries run through: the lock, while the guest goes on (a client polling must not stop it). */
    @Test void aCallWhileRunningHoldsTheLockAndTheHartGoesOn() throws Exception {
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); machine.resume(); return null; });
        waitFor(() -> b.hart.executed.get() > 0);
        boolean[] locked = new boolean[1];
        long[] progress = new long[1];
        machine.callWhileRunning(() -> {
            locked[0] = machine.isCurrentThread();
            long entered = b.hart.executed.get();
            waitFor(() -> b.hart.executed.get() > entered);   // never true if the call had stopped the hart
            progress[0] = b.hart.executed.get() - entered;
            return null;
        });
        assertTrue(locked[0], "the task held the machine's lock");
        assertTrue(progress[0] > 0, "the hart executed while the task ran");
        assertEquals(RunState.RUNNING, machine.runState());
    }

    @Test void resetReloadsImagesAndResetsHarts() throws Exception {
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); return null; });
        int resets = b.hart.resets.get();
        machine.call(() -> { machine.reset("host-qmp-system-reset"); return null; });
        assertEquals(2, b.imagesLoaded);
        assertEquals(resets + 1, b.hart.resets.get());
        Event e = events.get(events.size() - 1);
        assertEquals("RESET", e.name());
        assertEquals(false, e.data().get("guest").asBoolean());
    }

    /** A device asks for a reset from a posted task (the SiFive test device does): the harts are stopped first. */
    @Test void aResetPostedByADeviceWaitsForEveryHartToStop() throws Exception {
        TestBoard b = (TestBoard) machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); machine.resume(); return null; });
        waitFor(() -> b.hart.executed.get() > 0);
        for (int i = 0; i < 200; i++) {
            int resets = b.hart.resets.get();
            machine.post(() -> machine.reset("guest-reset"));
            waitFor(() -> b.hart.resets.get() > resets);
            assertTrue(!b.hart.resetWhileRunning, "a hart was reset in the middle of running");
        }
        assertEquals(RunState.RUNNING, machine.runState(), "the guest goes on after its reset");
    }

    @Test void guestShutdownEndsTheProcessUnlessNoShutdown() throws Exception {
        machine.call(() -> machine.createBoard("test"));
        machine.call(() -> { machine.build(); machine.resume(); return null; });
        machine.options().setNoShutdown(true);
        machine.call(() -> { machine.shutdown(true, "guest-shutdown", 0); return null; });
        assertEquals(RunState.SHUTDOWN, machine.runState());
        Thread.sleep(60);
        assertEquals(-1, exitStatus.get(), "-no-shutdown keeps the process");
        assertThrows(QomException.class, () -> machine.call(() -> { machine.resume(); return null; }));
        machine.options().setNoShutdown(false);
        machine.call(() -> { machine.reset("host-qmp-system-reset"); machine.resume(); return null; });
        machine.call(() -> { machine.shutdown(true, "guest-shutdown", 3); return null; });
        waitFor(() -> exitStatus.get() == 3);
        assertTrue(events.stream().anyMatch(ev -> ev.name().equals("SHUTDOWN") && ev.data().get("guest").asBoolean()));
    }

    @Test void aMachineTypeThatIsMissingIsAClearError() {
        QomException e = assertThrows(QomException.class, () -> machine.call(() -> machine.createBoard("nope")));
        assertTrue(e.getMessage().contains("unsupported machine type 'nope'"), e.getMessage());
        QomException noBoard = assertThrows(QomException.class, () -> machine.call(() -> { machine.build(); return null; }));
        assertTrue(noBoard.getMessage().contains("No machine specified"));
        assertNotEquals(RunState.RUNNING, machine.runState());
    }
}
