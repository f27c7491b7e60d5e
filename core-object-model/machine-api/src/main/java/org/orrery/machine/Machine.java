package org.orrery.machine;

import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.ObjectTree;

/**
 * One emulated machine: its object tree, its lock (held by whatever touches a device: a hart's MMIO access,
 * a timer or posted task on the machine thread, a command at a safe point), its virtual clock, its system
 * memory and its run state. A container may hold several. Methods other than the accessors must be called
 * with the lock held (commands are).
 */
public interface Machine {
    String name();

    ObjectTree tree();

    VirtualClock clock();

    /** The system bus: the physical address space harts and DMA see. */
    AddressSpace systemMemory();

    RunState runState();

    /** The board at /machine, or null before one was chosen. */
    org.orrery.machine.device.Board board();

    /**
     * Creates the board at /machine from a machine name as -machine takes it ("virt", or the type name
     * "virt-machine"); only before the machine is built, and only once.
     */
    org.orrery.machine.device.Board createBoard(String machineName);

    /** Input {@code source} of the platform interrupt controller (delegates to the board). */
    org.orrery.machine.irq.IrqLine platformIrq(int source);

    /** What harts get: the system bus, the virtual clock and the timebase (10 MHz). */
    org.orrery.machine.cpu.HartEnvironment hartEnvironment();

    /** Options that are not properties of any object (-no-reboot, -no-shutdown, -name), set before start. */
    MachineOptions options();

    /** Why the machine is paused, when it paused by itself (a missing device type, a guest error). */
    String pauseReason();

    /** Builds the board (realizes /machine and its devices) if not yet built; leaves preconfig. */
    void build();

    /** Starts or resumes the guest (QMP cont). */
    void resume();

    /**
     * As {@link #resume()}, but only the harts at {@code hartIndexes} (places in the board's hart list)
     * execute; the others stay where they are until the machine next stops and resumes (gdb's vCont naming
     * some threads). Null lets every hart run.
     */
    void resumeOnly(java.util.Set<Integer> hartIndexes);

    /** Pauses the guest at the next safe point (QMP stop). */
    void pause();

    /** Pauses with a reason shown by query-status and the monitors (a type the board needs went away). */
    void pause(RunState state, String reason);

    /** Resets every device and hart (system_reset, or the guest through the test device). */
    void reset(String reason);

    /** Asks the guest to power down (system_powerdown): raises the board's power button. */
    void requestPowerdown();

    /** The guest or the host shuts the machine down; honours -no-shutdown. */
    void shutdown(boolean byGuest, String reason, int exitStatus);

    /** Ends the emulator process with {@code status} (quit, Ctrl-a x, a guest's poweroff). */
    void quit(int status);

    /**
     * Installs the debugger's hook (null removes it): called when a hart stops at a breakpoint, a watchpoint
     * or after a single step, with that hart's index (its place in the board's hart list) and the reason; the
     * machine is then in {@link RunState#DEBUG}. With several harts, the first to stop is reported; the
     * others park where they are.
     */
    void setDebugListener(DebugListener listener);

    /** The debugger's hook (see {@link #setDebugListener}). */
    @FunctionalInterface
    interface DebugListener {
        void stopped(int hartIndex, org.orrery.machine.cpu.StopReason reason);
    }

    /** The host thread id of each hart's thread, in hart order (as QEMU's query-cpus-fast reports them); -1 where unknown. */
    default java.util.List<Long> hartThreadIds() { return java.util.List.of(); }

    /**
     * Logs something the guest did wrong (-d guest_errors) or an access to an unimplemented register
     * (-d unimp), once per {@code site} (for example "ns16550a@0x10000000+0x7 write"), not once per access.
     */
    void logGuest(LogCategory category, String site, String message);

    /**
     * Writes the whole machine (virtual time, system RAM, every hart, every device's declared state) to
     * {@code out} as one stream, recording whether the guest ran ({@code wasRunning}). Call at a safe point
     * ({@link #call}) with the guest stopped.
     */
    org.orrery.machine.state.MachineStateStats saveState(java.io.OutputStream out, boolean wasRunning) throws java.io.IOException;

    /**
     * Loads a stream {@link #saveState} wrote into this machine, which must be built from the same configuration
     * (board, -m, -smp, devices at the same paths); the guest stays stopped. Call at a safe point. Devices and
     * harts are checked before any is changed; RAM is read straight from the stream, so a stream that fails part
     * way leaves the machine unfit to run on (it is then in internal-error).
     */
    org.orrery.machine.state.MachineStateStats loadState(java.io.InputStream in) throws java.io.IOException;

    /** This machine's jobs (query-jobs). */
    org.orrery.machine.job.Jobs jobs();

    /**
     * Ends the wait for an incoming migration ({@link RunState#INMIGRATE}): after {@code loaded} the guest runs
     * when it ran at the source and neither -S nor stop said otherwise; after an {@code error} the machine is in
     * internal-error with that reason.
     */
    void incomingFinished(org.orrery.machine.state.MachineStateStats loaded, String error);

    /** Runs {@code task} at a safe point: on the calling thread, every hart stopped and the lock held. */
    <T> T call(java.util.concurrent.Callable<T> task);
}
