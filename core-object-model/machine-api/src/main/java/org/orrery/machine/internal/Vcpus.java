package org.orrery.machine.internal;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.StopReason;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The harts' threads (QEMU's vCPU threads, "CPU n/TCG") and the machine's safe points. Each hart runs guest
 * code on its own thread without the machine's big lock, taking it only to touch a device. A thread parks
 * while the machine does not run, while its hart waits for an interrupt, and while the world is stopped:
 * {@link #stopWorld()} asks every hart to leave guest code and waits until each thread has parked, so a
 * command can then change any hart, the memory map or the tree; {@link #startWorld()} lets them go on.
 *
 * <p>One monitor guards the parking handshakes. It is never held while the big lock is taken, and whoever
 * stops the world must not hold the big lock (a hart may be waiting for it to finish a device access).
 */
final class Vcpus {
    /** Instructions a hart runs before its thread looks at run control again. */
    private static final long SLICE = 50_000;

    /** What the machine does for its harts' threads. */
    interface Owner {
        /** Whether the machine is running (harts may execute). */
        boolean mayRun();

        /** A hart stopped for the debugger (breakpoint, watchpoint, step); called on its thread, without the lock. */
        void debugStop(Hart hart, StopReason why);

        /** A hart's thread caught a throwable from the hart; called on that thread, without the lock. */
        void failed(Hart hart, Throwable t);

        /** The first hart is about to execute its first instruction. */
        void firstInstruction();

        /**
         * On the hart's thread, before each slice: the most instructions the slice may run. Under -icount the
         * machine fires the timers that are due first and ends the slice at the next deadline.
         */
        default long sliceBudget(long slice) { return slice; }

        /**
         * On the hart's thread, which is about to park because its hart waits for an interrupt: under -icount
         * the machine moves time on to the next deadline instead and fires what is due; true when it did (the
         * thread then looks again rather than parks).
         */
        default boolean skipIdleTime() { return false; }
    }

    private final class Vcpu {
        final Hart hart;
        final int index;
        final Thread thread;
        boolean parked = true;  // not executing guest code; written under monitor by this vCPU's thread only
        volatile boolean retired; // the thread ends; written under monitor
        volatile long osThreadId = -1;
        /** Instructions retired in the slices that ended, and where the running slice began (-1: none runs). */
        volatile long executed, sliceStart = -1;

        Vcpu(Hart hart, int index) {
            this.hart = hart;
            this.index = index;
            this.thread = Thread.ofPlatform().name("CPU " + index + "/TCG").daemon(true).unstarted(this::loop);
        }

        private void loop() {
            osThreadId = osThreadId();
            hart.setWakeListener(Vcpus.this::wake);
            while (true) {
                if (mayGoOn()) {
                    runSlice();
                    continue;
                }
                if (!retired && stopRequests == 0 && runOnly == null && owner.mayRun() && hart.waitingForInterrupt()
                        && owner.skipIdleTime()) continue;
                synchronized (monitor) {
                    while (!retired && (stopRequests > 0 || !owner.mayRun() || hart.waitingForInterrupt()
                            || (runOnly != null && !runOnly.contains(index)))) {
                        if (!parked) {
                            parked = true;
                            monitor.notifyAll(); // someone may be waiting for the world to stop
                        }
                        try {
                            monitor.wait();
                        } catch (InterruptedException e) {
                            retired = true;
                        }
                    }
                    if (retired) {
                        parked = true;
                        monitor.notifyAll();
                        return;
                    }
                    parked = false;
                }
                if (!started) {
                    started = true;
                    owner.firstInstruction();
                }
                runSlice();
            }
        }

        /**
         * Whether this thread, which ran the last slice, may run the next one without the monitor: nothing
         * asks it to stop. Taking the monitor at every slice would make the harts' threads contend for it
         * tens of thousands of times a second. A stopper that raises stopRequests right after this read also
         * makes the hart leave the slice at once, and the next look sees it.
         */
        private boolean mayGoOn() {
            return !parked && !retired && stopRequests == 0 && runOnly == null && owner.mayRun() && !hart.waitingForInterrupt();
        }

        private void runSlice() {
            long before = hart.instructionsRetired();
            try {
                long budget = owner.sliceBudget(SLICE);
                sliceStart = before;
                StopReason r = hart.run(budget);
                if (r == StopReason.BREAKPOINT || r == StopReason.STEP || r == StopReason.WATCHPOINT) owner.debugStop(hart, r);
            } catch (Throwable t) {
                owner.failed(hart, t);
            } finally {
                long done = Math.max(0, hart.instructionsRetired() - before);
                sliceStart = -1;
                executed += done;   // only this thread writes it
            }
        }

        long instructions() {
            long start = sliceStart;
            return executed + (start >= 0 ? Math.max(0, hart.instructionsRetired() - start) : 0);
        }
    }

    private final Owner owner;
    private final Object monitor = new Object();
    private List<Vcpu> vcpus = List.of();  // guarded by monitor
    private volatile int stopRequests;     // written under monitor
    /** The hart indexes the debugger lets run (gdb's vCont naming some threads); null: all. Written under monitor. */
    private volatile java.util.Set<Integer> runOnly;
    private volatile boolean started;

    Vcpus(Owner owner) {
        this.owner = owner;
    }

    /**
     * The machine's harts changed (it was built, or a CPU came back with its bundle): threads for harts
     * that went end, new harts get threads. Called with the world stopped or before the machine runs.
     */
    void set(List<Hart> harts) {
        List<Vcpu> start = new ArrayList<>();
        synchronized (monitor) {
            List<Vcpu> next = new ArrayList<>();
            for (int i = 0; i < harts.size(); i++) {
                Hart h = harts.get(i);
                Vcpu existing = null;
                for (Vcpu v : vcpus) if (v.hart == h && !v.retired) existing = v;
                if (existing == null || existing.index != i) {
                    if (existing != null) existing.retired = true;
                    existing = new Vcpu(h, i);
                    start.add(existing);
                }
                next.add(existing);
            }
            for (Vcpu v : vcpus) if (!next.contains(v)) v.retired = true;
            vcpus = List.copyOf(next);
            monitor.notifyAll();
        }
        for (Vcpu v : start) v.thread.start();
    }

    /** Ends every thread (the machine is destroyed). */
    void shutdown() {
        set(List.of());
    }

    /** Whether the calling thread is one of the harts' threads. */
    boolean isVcpuThread() {
        return current() != null;
    }

    private Vcpu current() {
        Thread t = Thread.currentThread();
        for (Vcpu v : vcpus) if (v.thread == t) return v;
        return null;
    }

    /**
     * Asks every hart to leave guest code and waits until each hart's thread has parked (the caller's own,
     * if it is one, counts as stopped). The caller must not hold the big lock.
     */
    void stopWorld() {
        Vcpu self = current();
        synchronized (monitor) {
            stopRequests++;
            for (Vcpu v : vcpus) if (v != self) v.hart.requestExit();
            boolean interrupted = false;
            while (anyRunningBut(self)) {
                try {
                    monitor.wait(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                for (Vcpu v : vcpus) if (v != self && !v.parked) v.hart.requestExit();
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether every hart's thread but the caller's is parked and stays so: the world is stopped (the caller
     * is between {@link #stopWorld()} and {@link #startWorld()}) or the machine does not run.
     */
    boolean isWorldStopped() {
        synchronized (monitor) {
            if (anyRunningBut(current())) return false;
            return stopRequests > 0 || !owner.mayRun();
        }
    }

    private boolean anyRunningBut(Vcpu self) {
        for (Vcpu v : vcpus) if (v != self && !v.parked && v.thread.isAlive()) return true;
        return false;
    }

    void startWorld() {
        synchronized (monitor) {
            stopRequests--;
            monitor.notifyAll();
        }
    }

    /**
     * Lets only the harts at {@code indexes} execute while the machine runs (null: every hart), as gdb asks
     * when it resumes some threads and leaves the others stopped.
     */
    void runOnly(java.util.Set<Integer> indexes) {
        synchronized (monitor) {
            runOnly = indexes == null ? null : java.util.Set.copyOf(indexes);
            monitor.notifyAll();
        }
    }

    /** Run control changed (the machine runs, pauses, a hart may have work): every thread looks again. */
    void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Makes every hart leave guest code soon (the machine stops running: each then parks). */
    void requestExitAll() {
        for (Vcpu v : vcpus) v.hart.requestExit();
        wake();
    }

    /** Instructions every hart retired so far, resets included (what -icount's virtual time counts). */
    long instructionsExecuted() {
        long n = 0;
        for (Vcpu v : vcpus) n += v.instructions();
        return n;
    }

    /** The host thread ids of the harts' threads in hart order (-1 where not known yet). */
    List<Long> osThreadIds() {
        List<Long> ids = new ArrayList<>();
        for (Vcpu v : vcpus) ids.add(v.osThreadId);
        return ids;
    }

    /** The kernel's id of the calling thread (what QEMU reports as a vCPU's thread-id), or -1 off Linux. */
    private static long osThreadId() {
        try {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));   // "<pid>/task/<tid>"
            return Long.parseLong(self.getFileName().toString());
        } catch (Exception e) {
            return -1;
        }
    }
}
