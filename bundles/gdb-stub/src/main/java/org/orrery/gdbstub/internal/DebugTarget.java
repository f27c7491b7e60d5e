package org.orrery.gdbstub.internal;

import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.StopReason;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * What the stub needs of a machine: its harts, its run state, the debugger hook and a way to run code on
 * its thread. {@link MachineTarget} adapts a real {@link org.orrery.machine.Machine}; tests use a fake.
 * Everything except {@link #call}, {@link #runState()} and {@link #monitor} must run inside {@link #call}.
 */
interface DebugTarget {
    /** The harts in hart-id order (empty before the board is built). Machine thread only. */
    List<Hart> harts();

    RunState runState();

    /** Starts or resumes the guest. Machine thread only. */
    void resume();

    /** Resumes the guest with only the harts at {@code hartIndexes} executing (null: all). Machine thread only. */
    void resumeOnly(java.util.Set<Integer> hartIndexes);

    /** Pauses the guest with the given state. Machine thread only. */
    void pause(RunState state);

    /** Ends the emulator (gdb's k). */
    void quit(int status);

    void setDebugListener(Machine.DebugListener listener);

    <T> T call(Callable<T> task);

    /** Runs a human-monitor command line and returns its text output (or an explanation why it could not). */
    String monitor(String commandLine);
}
