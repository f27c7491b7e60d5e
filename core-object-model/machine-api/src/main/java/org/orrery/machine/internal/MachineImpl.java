package org.orrery.machine.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandGate;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineOptions;
import org.orrery.machine.RunState;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.SafePoint;
import org.orrery.qom.TypeRegistry;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A machine, its thread and its harts' threads. The machine thread runs work posted by other threads
 * (backend I/O completions), due timers, and requests that need every hart stopped (a reset the guest asked
 * for); it parks when there is nothing to do. Each hart runs on a thread of its own ({@link Vcpus}). Devices
 * are only ever entered under the big lock, so they need no locks of their own; commands stop every hart
 * at a safe point before they take the lock.
 */
final class MachineImpl implements Machine, SafePoint {
    private static final Logger LOG = Logger.getLogger(MachineImpl.class.getName());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Guest physical address space size (56-bit, as Sv39/Sv48 physical addresses allow). */
    private static final long PHYSICAL_SPACE = 1L << 56;

    private final String name;
    private final ObjectTree tree;
    private final MachineClock clock = new MachineClock();
    private final AddressSpace systemMemory = new AddressSpace("system", MemoryRegion.container("system", PHYSICAL_SPACE));
    private final MachineOptions options = new MachineOptions();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Work a hart's thread asked for that needs every hart stopped: the machine thread does it. */
    private final ConcurrentLinkedQueue<Runnable> stoppedWorldTasks = new ConcurrentLinkedQueue<>();
    /** Set under the lock when the machine thread must re-plan its sleep (the guest started; timers see sleepsUntil). */
    private boolean wakeNeeded;
    /**
     * Virtual time at which the machine thread's sleep ends (Long.MAX_VALUE while it plans one, MIN_VALUE while
     * it is awake): a timer armed by another thread for earlier than this unparks it.
     */
    private volatile long sleepsUntil = Long.MIN_VALUE;
    /** The machine's big lock: held by whoever touches devices, harts and the tree. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final Thread thread;
    private final IntConsumer exit;
    private volatile boolean alive = true;
    private volatile RunState state = RunState.PRECONFIG;
    private volatile String pauseReason;
    private volatile boolean built;
    /** The harts, in hart order; changed only with every hart stopped. */
    private volatile List<Hart> harts = List.of();
    private final Vcpus vcpus = new Vcpus(new Vcpus.Owner() {
        @Override public boolean mayRun() { return alive && state == RunState.RUNNING; }
        @Override public void debugStop(Hart hart, StopReason why) { hartStoppedForDebugger(hart, why); }
        @Override public void failed(Hart hart, Throwable t) { hartFailed(t); }
        @Override public void firstInstruction() { StartupMilestones.log(options, "first guest instruction"); }
        @Override public long sliceBudget(long slice) { return clock.countsInstructions() ? countedSlice(slice) : slice; }
        @Override public boolean skipIdleTime() { return clock.countsInstructions() && skipToNextDeadline(); }
    });
    /** Set while the machine is paused because devices of its board went away with their types' bundles. */
    private boolean pausedForMissingTypes;
    /** Set when a returning CPU bundle made harts again: the machine resets before it goes on. */
    private boolean hartsRemade;
    /** The state to return to when they come back (running, or a paused state such as prelaunch). */
    private RunState stateBeforeMissingTypes;
    private final TypeRegistry registry;
    /**
     * Registered before the tree's own listener, so it hears of a type going before the tree removes its
     * instances: the board's devices are remembered and the machine pauses before they are unplugged.
     */
    private final TypeRegistry.Listener boardTypes = new TypeRegistry.Listener() {
        @Override public void typesRemoving(java.util.Set<String> names) { boardTypesRemoving(names, false); }
        @Override public void typesReplacing(java.util.Set<String> names) { boardTypesRemoving(names, true); }
        @Override public void typesAdded(java.util.Set<String> names) { boardTypesAdded(names); }
    };

    MachineImpl(String name, TypeRegistry registry, IntConsumer exit) {
        this.name = name;
        this.exit = exit;
        this.registry = registry;
        this.thread = Thread.ofPlatform().name("machine-" + name).daemon(true).unstarted(this::loop);
        // the loop catches what a slice throws; anything that still escapes leaves no machine to run on
        thread.setUncaughtExceptionHandler((t, e) -> {
            LOG.log(Level.SEVERE, "machine " + name + ": its thread died; exiting", e);
            if (exit != null) exit.accept(1);
        });
        registry.addListener(boardTypes);
        this.tree = new ObjectTree(registry, this);
        this.jobs = new org.orrery.machine.job.Jobs(tree);
        tree.attach(org.orrery.machine.job.Jobs.class, jobs);
        this.carryOver = new DeviceCarryOver(name);
        clock.onArm(deadline -> {
            if (Thread.currentThread() == thread) return;
            // a hart armed a timer (stimecmp, mtimecmp) due before the machine thread means to wake: a hart
            // parked in WFI for it would otherwise wake only when that sleep ends, up to 100 ms late
            if (deadline < sleepsUntil) LockSupport.unpark(thread);
        });
        tree.addListener(new ObjectTree.Listener() {
            @Override public void objectRealized(QObject o) { warnIfUndiscoverable(o); }
        });
        tree.attach(Machine.class, this);
        tree.attach(CommandGate.class, cmd -> {
            if (state == RunState.PRECONFIG && !cmd.allowPreconfig())
                throw new QomException("The command '" + cmd.name() + "' isn't permitted in preconfig state");
        });
        tree.container("/objects");
        tree.container("/chardevs");
        tree.attach(org.orrery.command.CommandJournal.class, new org.orrery.command.CommandJournal(tree));
        thread.start();
    }

    @Override public String name() { return name; }
    @Override public ObjectTree tree() { return tree; }
    @Override public VirtualClock clock() { return clock; }
    @Override public AddressSpace systemMemory() { return systemMemory; }
    @Override public RunState runState() { return state; }
    @Override public String pauseReason() { return pauseReason; }
    @Override public MachineOptions options() { return options; }

    @Override public Board board() {
        QObject m = tree.resolve("/machine");
        return m instanceof Board b ? b : null;
    }

    @Override public Board createBoard(String machineName) {
        if (built) throw new QomException("the machine is already built");
        if (board() != null) throw new QomException("the machine type is already chosen: " + board().type().name());
        String typeName = machineName.endsWith("-machine") ? machineName : machineName + "-machine";
        var t = tree.registry().find(typeName);
        if (t.isEmpty() || !t.get().isA("machine") || t.get().isAbstract()) {
            String why = tree.registry().unavailable().get(typeName);
            throw new QomException(why != null ? "machine type '" + machineName + "' is not available: " + why
                    : "unsupported machine type '" + machineName + "' (use -machine help to list them)");
        }
        QObject o = tree.createChild(tree.root(), "machine", typeName);
        tree.container("/machine/peripheral");
        tree.container("/machine/peripheral-anon");
        tree.container("/machine/unattached");
        return (Board) o;
    }

    @Override public IrqLine platformIrq(int source) {
        Board b = board();
        return b == null ? IrqLine.UNCONNECTED : b.platformIrq(source);
    }

    @Override public HartEnvironment hartEnvironment() {
        org.orrery.machine.cpu.Acceleration accel = options.acceleration();
        if (options.logCategories().contains(org.orrery.machine.LogCategory.IN_ASM)) {
            accel = accel.withTranslationLog(text -> {
                java.io.PrintStream sink = options.logSink();
                sink.print(text);
                sink.flush();
            });
        }
        return new HartEnvironment(systemMemory, clock, 10_000_000L, accel, lock);
    }

    // ---- run state ----

    @Override public void build() {
        if (built) return;
        Board b = board();
        if (b == null) throw new QomException("No machine specified, and there is no default (use -machine TYPE)");
        MachineOptions.InstructionCounting icount = options.instructionCounting();
        // before the harts exist: they choose how to translate from the clock
        if (icount != null) clock.countInstructions(icount.shift(), vcpus::instructionsExecuted);
        b.realizeWithColdPlugged();
        if (icount != null && b.harts().size() > 1)
            throw new QomException("-icount runs one hart: QEMU takes the harts in turn on one thread, Orrery gives each its own (use -smp 1)");
        b.loadImages();
        setHarts(b.harts());
        for (Hart h : harts) h.reset();
        built = true;
        if (state == RunState.PRECONFIG) {
            state = options.incoming() ? RunState.INMIGRATE : RunState.PRELAUNCH;
            startAfterIncoming = !options.startPaused();
        }
        StartupMilestones.log(options, "machine built");
    }

    boolean isBuilt() { return built; }

    @Override public void resume() {
        resumeOnly(null);
    }

    @Override public void resumeOnly(java.util.Set<Integer> hartIndexes) {
        if (pausedForMissingTypes) throw new QomException(pauseReason);
        if (state == RunState.PRECONFIG) build();
        if (state == RunState.INMIGRATE) {
            // as QEMU: cont while the state is still coming starts the guest once it is in
            startAfterIncoming = true;
            return;
        }
        if (state == RunState.FINISH_MIGRATE || state == RunState.SAVE_VM || state == RunState.RESTORE_VM)
            throw new QomException("Cannot resume while the machine's state is being " + (state == RunState.RESTORE_VM ? "loaded" : "saved"));
        if (state == RunState.SHUTDOWN || state == RunState.INTERNAL_ERROR || state == RunState.GUEST_PANICKED)
            throw new QomException("Resetting the Virtual Machine is required");
        vcpus.runOnly(hartIndexes);
        if (state == RunState.RUNNING) return;
        state = RunState.RUNNING;
        pauseReason = null;
        clock.start();
        wakeNeeded = true;
        vcpus.wake();
        tree.events().emit("RESUME", null);
    }

    @Override public void pause() { pause(RunState.PAUSED, null); }

    @Override public void pause(RunState newState, String reason) {
        if (state == RunState.INMIGRATE && newState == RunState.PAUSED) {
            startAfterIncoming = false;   // stop before the state is in: it stays paused once it is
            return;
        }
        boolean wasRunning = state == RunState.RUNNING;
        clock.stop();
        state = newState;
        pauseReason = reason;
        vcpus.requestExitAll();
        if (wasRunning) tree.events().emit("STOP", null);
        if (reason != null) LOG.warning("machine " + name + " paused: " + reason);
    }

    @Override public void reset(String reason) {
        if (!vcpus.isWorldStopped()) {
            // the guest asked (a device write on a hart's thread, or a task a device posted): every hart must
            // stop first, and a hart's thread cannot wait here for the others, so the machine thread does it
            stoppedWorldTasks.add(() -> reset(reason));
            for (Hart h : harts) h.requestExit();
            LockSupport.unpark(thread);
            return;
        }
        boolean guest = reason.startsWith("guest");
        ObjectNode data = F.objectNode().put("guest", guest).put("reason", reason);
        tree.events().emit("RESET", data);
        if (guest && options.noReboot()) {
            shutdown(true, "guest-reset", 0);
            return;
        }
        if (!built) return;
        for (QObject o : tree.all()) if (o instanceof Device d && o.isRealized() && !(o instanceof Board)) d.reset();
        Board b = board();
        if (b != null) { b.reset(); b.loadImages(); }
        for (Hart h : harts) { h.reset(); h.requestExit(); }
        if (state == RunState.SHUTDOWN) state = RunState.PAUSED;
    }

    @Override public void requestPowerdown() {
        tree.events().emit("POWERDOWN", null);
        Board b = board();
        if (b != null) b.powerButton();
    }

    @Override public void shutdown(boolean byGuest, String reason, int exitStatus) {
        tree.events().emit("SHUTDOWN", F.objectNode().put("guest", byGuest).put("reason", reason));
        if (options.noShutdown() && byGuest) {
            pause(RunState.SHUTDOWN, null);
            return;
        }
        pause(RunState.SHUTDOWN, null);
        quit(exitStatus);
    }

    @Override public void quit(int status) {
        pause(RunState.SHUTDOWN, null);
        // leave the machine thread first: stopping the container waits for this thread to end
        Thread.ofPlatform().name("orrery-exit").start(() -> {
            try { Thread.sleep(20); } catch (InterruptedException ignored) { Thread.currentThread().interrupt(); }
            if (exit != null) exit.accept(status);
        });
    }

    private final java.util.Set<String> loggedSites = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override public void logGuest(org.orrery.machine.LogCategory category, String site, String message) {
        if (!options.logCategories().contains(category)) return;
        if (!loggedSites.add(category.option() + " " + site)) return;
        options.logSink().println(site + ": " + message);
        options.logSink().flush();
    }

    // ---- board devices whose type goes away with its bundle ----

    /** The container is stopping: bundles going now take their types with them, and nobody waits for them. */
    void containerStopping() { containerStopping = true; }

    private volatile boolean containerStopping;

    private final DeviceCarryOver carryOver;

    private void boardTypesRemoving(java.util.Set<String> names, boolean replacing) {
        if (tree == null || !alive || containerStopping) return;
        call(() -> {
            Board b = board();
            if (!built || b == null || !b.isRealized()) return null;
            // a machine that is shutting down (the container stops after a poweroff) waits for nothing
            if (state == RunState.SHUTDOWN) return null;
            for (String n : names) if (b.type().isA(n)) return null; // the board itself goes: nothing to wait for
            java.util.Set<String> gone = new java.util.TreeSet<>();
            for (QObject o : tree.all()) {
                if (o == b || !o.isRealized()) continue;
                boolean doomed = false;
                for (String n : names) if (o.type().isA(n)) { doomed = true; break; }
                if (!doomed) continue;
                if (replacing && DeviceCarryOver.isUserBackend(o)) {
                    gone.add(o.type().name());
                    carryOver.takeOutBackend(tree, o);
                    continue;
                }
                if (DeviceCarryOver.isUserDevice(o)) {
                    // an update brings the type back: the device waits for it with its state; otherwise it is unplugged
                    if (replacing) {
                        gone.add(o.type().name());
                        carryOver.takeOut(tree, o);
                    }
                    continue;
                }
                if (o.path().startsWith("/machine/peripheral") || b.boardDevice(o) == null) continue;
                if (o instanceof org.orrery.machine.device.CpuDevice && savedHarts == null) savedHarts = saveHartStates();
                if (replacing) carryOver.saveBoardDevice(o);
                b.deviceTypeRemoving(o);
                gone.add(b.boardDevice(o).type());
            }
            if (gone.isEmpty()) return null;
            if (!pausedForMissingTypes) {
                stateBeforeMissingTypes = state;
                pausedForMissingTypes = true;
            }
            pause(RunState.PAUSED, missingReason(b, carryOver));
            return null;
        });
    }

    private void boardTypesAdded(java.util.Set<String> names) {
        if (tree == null || !alive || !pausedForMissingTypes) return;
        call(() -> {
            Board b = board();
            if (b == null || !pausedForMissingTypes) return null;
            try {
                for (QObject o : carryOver.recreateBackends(tree)) LOG.info("machine " + name + ": " + o.path() + " (" + o.type().name() + ") is back");
                for (QObject o : carryOver.recreate(tree)) LOG.info("machine " + name + ": " + o.path() + " (" + o.type().name() + ") is back");
                for (QObject o : b.recreateMissing()) {
                    LOG.info("machine " + name + ": " + o.path() + " (" + o.type().name() + ") is back");
                    carryOver.restoreBoardDevice(o);
                    if (o instanceof org.orrery.machine.device.CpuDevice) {
                        setHarts(b.harts());
                        hartsRemade = true;
                    }
                }
            } catch (RuntimeException e) {
                LOG.warning("machine " + name + ": could not make a board device again: " + e.getMessage());
            }
            if (!b.missingDevices().isEmpty() || !carryOver.waitingTypes().isEmpty()) {
                pause(RunState.PAUSED, missingReason(b, carryOver));
                return null;
            }
            pausedForMissingTypes = false;
            if (hartsRemade) {
                hartsRemade = false;
                for (QObject o : tree.all())
                    if (o.isRealized() && o instanceof org.orrery.machine.device.HartWiring w) w.rewireHarts();
                String refused = restoreHartStates();
                if (refused != null) {
                    // new harts that start from reset, with devices mid-conversation with the old ones, would
                    // confuse the guest: the whole machine resets, as after a reset button
                    LOG.warning("machine " + name + ": its harts were made again by the returning CPU bundle but cannot take over"
                            + " the old ones' state (" + refused + "); the machine resets");
                    reset("subsystem-reset");
                } else {
                    LOG.info("machine " + name + ": its harts were made again by the returning CPU bundle and carry on where the old ones stopped");
                }
            }
            RunState before = stateBeforeMissingTypes;
            if (before == RunState.RUNNING) {
                resume();
            } else {
                state = before;
                pauseReason = null;
            }
            return null;
        });
    }

    /** The harts' states saved when their CPU type went, for the harts its return makes; null when none is kept. */
    private List<org.orrery.machine.cpu.HartState> savedHarts;

    private List<org.orrery.machine.cpu.HartState> saveHartStates() {
        List<org.orrery.machine.cpu.HartState> out = new java.util.ArrayList<>();
        for (Hart h : harts) {
            org.orrery.machine.cpu.HartState st = h.saveState();
            if (st == null) return null;
            out.add(st);
        }
        return out;
    }

    /** The new harts take over the saved states; returns why they cannot (the machine then resets), or null. */
    private String restoreHartStates() {
        List<org.orrery.machine.cpu.HartState> saved = savedHarts;
        savedHarts = null;
        if (saved == null) return "the old harts could not save it";
        if (saved.size() != harts.size()) return saved.size() + " harts went, " + harts.size() + " came back";
        try {
            for (int i = 0; i < saved.size(); i++) harts.get(i).restoreState(saved.get(i));
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String missingReason(Board b, DeviceCarryOver carryOver) {
        java.util.Set<String> types = new java.util.TreeSet<>(b.missingDevices().values());
        if (types.isEmpty() && !carryOver.waitingTypes().isEmpty()) {
            String list = String.join("', '", carryOver.waitingTypes());
            return "type '" + list + "' is being updated with its bundle; its objects keep their state and the machine resumes when it is back";
        }
        types.addAll(carryOver.waitingTypes());
        String list = String.join("', '", types);
        return types.size() == 1
                ? "device type '" + list + "' was removed with its bundle; the machine resumes when it comes back"
                : "device types '" + list + "' were removed with their bundles; the machine resumes when they come back";
    }

    /**
     * A device plugged in after the machine was built cannot be found by a RISC-V guest: nothing on the
     * system bus announces it, and the guest's device tree was written at the last reset. It is allowed (as
     * QEMU's device_add returns {} and adds the device), and said here, once per device.
     */
    private void warnIfUndiscoverable(QObject o) {
        if (!built || !(o instanceof Device d) || o instanceof Board || d.isHotpluggable()) return;
        if (!o.path().startsWith("/machine/peripheral")) return;
        // info, not warning: the client's device_add succeeded as QEMU's does, and it asked for nothing on stderr
        LOG.info("machine " + name + ": " + o.path() + " (" + o.type().name() + ") was plugged into a built machine;"
                + " the guest cannot discover it until the device tree is rebuilt by the next system_reset");
    }

    void internalError(Throwable t) {
        LOG.log(Level.SEVERE, "machine " + name + ": internal error; the guest is stopped", t);
        pause(RunState.INTERNAL_ERROR, "internal error: " + t);
    }

    // ---- harts ----

    private void setHarts(List<Hart> list) {
        harts = List.copyOf(list);
        vcpus.set(harts);
    }

    @Override public List<Long> hartThreadIds() { return vcpus.osThreadIds(); }

    /** A hart's thread caught something from its hart: the guest stops, the machine stays. */
    private void hartFailed(Throwable t) {
        lock.lock();
        try {
            if (alive) internalError(t);
        } finally {
            lock.unlock();
        }
    }

    // ---- the machine thread ----

    private void loop() {
        while (alive) {
            Runnable stopped;
            while ((stopped = stoppedWorldTasks.poll()) != null) {
                Runnable task = stopped;
                try {
                    call(() -> { task.run(); return null; });
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "task on machine " + name + " failed", e);
                }
            }
            lock.lock();
            try {
                runTasks();
                if (!clock.countsInstructions()) clock.fireDue();   // under -icount the hart's thread fires them
            } catch (Throwable t) {
                if (alive) internalError(t);
            } finally {
                lock.unlock();
            }
            idle();
        }
    }

    // ---- -icount: the hart's thread keeps time ----

    /** Fires the timers that are due, then lets the slice run up to the next deadline. */
    private long countedSlice(long slice) {
        fireDueTimers();
        return Math.max(1, Math.min(slice, clock.instructionsToNextDeadline()));
    }

    /**
     * The hart waits for an interrupt: time moves on to the next deadline, at once (sleep=off) or as the host's
     * time passes (sleep=on, a little at a time so that input still wakes the hart soon); false when no timer
     * is armed (only input can wake the hart then, and its thread parks).
     */
    private boolean skipToNextDeadline() {
        long left = clock.nanosToNextDeadline();
        if (left == Long.MAX_VALUE) return false;
        MachineOptions.InstructionCounting icount = options.instructionCounting();
        if (icount != null && icount.sleep() && left > 0) {
            long t0 = System.nanoTime();
            LockSupport.parkNanos(Math.min(left, 10_000_000L));
            left = Math.min(left, System.nanoTime() - t0);
        }
        clock.skipIdle(left);
        fireDueTimers();
        return true;
    }

    private void fireDueTimers() {
        lock.lock();
        try {
            clock.fireDue();
        } finally {
            lock.unlock();
        }
    }

    private volatile DebugListener debugListener;

    /** The gdb stub's hook: told when a hart stops at a breakpoint, watchpoint or after a step. */
    @Override public void setDebugListener(DebugListener listener) { this.debugListener = listener; }

    /**
     * On the hart's thread: the machine stops for the debugger (the other harts park as soon as they see it).
     * When two harts stop at once, only the first one to take the lock is reported: the second finds the
     * machine stopped already and its stop would only confuse the debugger.
     */
    private void hartStoppedForDebugger(Hart hart, StopReason r) {
        int index;
        lock.lock();
        try {
            if (state == RunState.DEBUG) return;
            pause(RunState.DEBUG, null);
            index = harts.indexOf(hart);
        } finally {
            lock.unlock();
        }
        DebugListener l = debugListener;
        if (l != null) l.stopped(index, r);
    }

    private void runTasks() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            try {
                t.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task on machine " + name + " failed", e);
            }
        }
    }

    private void idle() {
        if (!tasks.isEmpty() || !stoppedWorldTasks.isEmpty()) return;
        // from here on any timer armed elsewhere wakes this thread: one armed after the deadline below was read
        // leaves an unpark permit, and the park then returns at once
        sleepsUntil = Long.MAX_VALUE;
        long wait = state == RunState.RUNNING && !clock.countsInstructions() ? clock.nanosToNextDeadline() : Long.MAX_VALUE;
        if (wait > 0) {
            long nap = Math.min(wait, 100_000_000L);
            sleepsUntil = clock.nanos() + nap;
            LockSupport.parkNanos(this, nap);
        }
        sleepsUntil = Long.MIN_VALUE;
    }

    // ---- SafePoint ----

    /** True on any thread that holds the big lock: the machine thread at work, a command, a hart in a device. */
    @Override public boolean isCurrentThread() { return lock.isHeldByCurrentThread(); }

    /** Runs on the machine thread under the lock, while the harts go on (backend completions, device work). */
    @Override public void post(Runnable task) {
        tasks.add(task);
        LockSupport.unpark(thread);
    }

    /**
     * Runs {@code task} on the calling thread with every hart stopped at a safe point and the big lock held,
     * so it may change anything (devices, harts, the memory map, the tree) and pays no thread hand-off. Code
     * that already holds the lock (a device, a nested command) runs it inline.
     */
    @Override public <T> T call(Callable<T> task) {
        if (lock.isHeldByCurrentThread()) return SafePoint.runHere(task);
        if (!alive) throw new QomException("machine " + name + " is gone");
        vcpus.stopWorld();
        try {
            return underLock(task);
        } finally {
            vcpus.startWorld();
        }
    }

    /** Takes only the big lock: the harts run on, as they do while another of them is in a device. */
    @Override public <T> T callWhileRunning(Callable<T> task) {
        if (lock.isHeldByCurrentThread()) return SafePoint.runHere(task);
        if (!alive) throw new QomException("machine " + name + " is gone");
        return underLock(task);
    }

    private <T> T underLock(Callable<T> task) {
        lock.lock();
        try {
            return SafePoint.runHere(task);
        } finally {
            boolean wake = wakeNeeded;
            wakeNeeded = false;
            lock.unlock();
            // the task started the guest: the parked machine thread must look again
            if (wake) LockSupport.unpark(thread);
        }
    }

    // ---- whole-machine state ----

    private boolean startAfterIncoming;
    private final org.orrery.machine.job.Jobs jobs;

    @Override public org.orrery.machine.job.Jobs jobs() { return jobs; }

    @Override public org.orrery.machine.state.MachineStateStats saveState(java.io.OutputStream out, boolean wasRunning) throws java.io.IOException {
        if (!lock.isHeldByCurrentThread()) throw new IllegalStateException("saveState outside the machine's safe point");
        if (!built) throw new QomException("The machine is not built yet: there is no state to save");
        if (state == RunState.RUNNING) throw new IllegalStateException("saveState while the guest runs");
        return new MachineSnapshot(this).save(out, wasRunning, harts, clock.nanos());
    }

    @Override public org.orrery.machine.state.MachineStateStats loadState(java.io.InputStream in) throws java.io.IOException {
        if (!lock.isHeldByCurrentThread()) throw new IllegalStateException("loadState outside the machine's safe point");
        if (!built) build();
        if (state == RunState.RUNNING) throw new IllegalStateException("loadState while the guest runs");
        MachineSnapshot snapshot = new MachineSnapshot(this);
        try {
            return snapshot.load(in, harts);
        } catch (java.io.IOException | RuntimeException e) {
            // half of a state in RAM: the guest must not run on it until a reset or another load
            if (snapshot.changedMachine()) pause(RunState.INTERNAL_ERROR, "loading a machine state failed part way: " + e.getMessage());
            throw e;
        }
    }

    /** Virtual time continues from a loaded state's (devices' timers are armed against it next). */
    void restoreClock(long nanos) { clock.restore(nanos); }

    @Override public void incomingFinished(org.orrery.machine.state.MachineStateStats loaded, String error) {
        if (state != RunState.INMIGRATE) return;
        if (error != null) {
            pause(RunState.INTERNAL_ERROR, "incoming migration failed: " + error);
            return;
        }
        state = RunState.PAUSED;
        if (loaded.wasRunning() && startAfterIncoming) resume();
    }

    void destroy() {
        registry.removeListener(boardTypes);
        try {
            tree.dispose();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "disposing machine " + name, e);
        }
        alive = false;
        vcpus.shutdown();
        LockSupport.unpark(thread);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
