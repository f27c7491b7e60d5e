package org.orrery.gdbstub.internal;

import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.testing.FakeHart;
import org.orrery.qom.SafePoint;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A machine for the stub's tests: harts that do not execute, a run state, and a "machine thread" that is
 * a lock (call runs the task under it), so the tests can play the hart stopping with {@link #hit}.
 */
final class FakeMachine implements DebugTarget {
    /** Where each hart's 64 KiB of RAM is. */
    static final long RAM = 0x8000_0000L;

    final List<FakeHart> harts = new ArrayList<>();
    final List<String> monitorCommands = new ArrayList<>();
    final ReentrantLock machineThread = new ReentrantLock();
    volatile RunState state = RunState.PRELAUNCH;
    volatile Machine.DebugListener listener;
    volatile int quitStatus = -1;
    volatile int resumes;
    String monitorOutput = "VM status: paused (debug)\n";
    /**
     * When set, resuming "executes" at once: a single step advances hart 0 by 4, otherwise the hart jumps
     * to the nearest breakpoint after its pc, else trips the first watchpoint; then it stops as a real
     * machine would (DEBUG, listener told on the "machine thread").
     */
    boolean autoRun;

    FakeMachine(int harts) {
        for (int i = 0; i < harts; i++) {
            FakeHart h = new FakeHart(i).withRam(RAM, 64 * 1024);
            h.idle = false; // "running" until the test stops it
            this.harts.add(h);
        }
    }

    FakeHart hart(int i) { return harts.get(i); }

    /** The guest "hits" something: as the machine does, go to DEBUG and tell the listener. */
    void hit(StopReason reason) {
        hit(-1, reason);
    }

    /** As {@link #hit(StopReason)}, the machine naming the hart that stopped (-1: it cannot tell). */
    void hit(int hart, StopReason reason) {
        call(() -> {
            state = RunState.DEBUG;
            Machine.DebugListener l = listener;
            if (l != null) l.stopped(hart, reason);
            return null;
        });
    }

    @Override public List<Hart> harts() { return List.copyOf(harts); }
    @Override public RunState runState() { return state; }
    /** The harts the last resume let run (null: all). */
    volatile java.util.Set<Integer> running;

    @Override public void resume() {
        resumeOnly(null);
    }

    @Override public void resumeOnly(java.util.Set<Integer> hartIndexes) {
        running = hartIndexes;
        resumes++;
        state = RunState.RUNNING;
        if (autoRun) execute();
    }

    private void execute() {
        FakeHart h = harts.get(0);
        StopReason r = null;
        if (h.singleStep) {
            h.pc += 4;
            r = StopReason.STEP;
        } else if (!h.breakpoints.isEmpty()) {
            long pc = h.pc;
            h.pc = h.breakpoints.stream().filter(a -> Long.compareUnsigned(a, pc) > 0).min(Long::compareUnsigned)
                    .orElse(h.breakpoints.iterator().next());
            r = StopReason.BREAKPOINT;
        } else if (!h.watchpoints.isEmpty()) {
            h.lastWatch = h.watchpoints.get(0)[0];
            byte[] v = new byte[8];
            h.readMemory(h.lastWatch, v, 0, 8);
            v[0]++; // the guest's store that tripped it
            h.writeMemory(h.lastWatch, v, 0, 8);
            r = StopReason.WATCHPOINT;
        }
        if (r != null) {
            state = RunState.DEBUG;
            Machine.DebugListener l = listener;
            if (l != null) l.stopped(0, r);
        }
    }
    @Override public void pause(RunState s) { state = s; }
    @Override public void quit(int status) { quitStatus = status; state = RunState.SHUTDOWN; }
    @Override public void setDebugListener(Machine.DebugListener l) { listener = l; }

    @Override public <T> T call(Callable<T> task) {
        machineThread.lock();
        try {
            return SafePoint.runHere(task);
        } finally {
            machineThread.unlock();
        }
    }

    @Override public synchronized String monitor(String commandLine) {
        monitorCommands.add(commandLine);
        return monitorOutput;
    }
}
