package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.cpu.HartState;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.cpu.TranslationStatistics;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.CodePages;

/**
 * A RISC-V hart: its architectural registers, the run loop that delivers traps and interrupts between
 * stretches of execution, and the parts it is made of: the CSR file ({@link CsrFile}), the MMU
 * ({@link Mmu}), the F/D and A extensions ({@link FloatingPoint}, {@link Atomics}) and the execution
 * engines: the {@link Interpreter}, always present as the reference and for debugging, and the
 * {@link Translator} when enabled.
 */
public final class RiscvHart implements Hart {
    /** Instructions an engine runs before the run loop looks at interrupts again. */
    private static final int CHUNK = 8192;
    /** A pseudo-cause for "abandon this instruction for the debugger" (a watchpoint before its access). */
    private static final int DEBUG_STOP = -1;
    /** Interrupt codes from highest to lowest priority, four bits each: MEI, MSI, MTI, SEI, SSI, STI. */
    private static final long PRIORITY = 0x5_1_9_7_3_bL;

    final HartEnvironment env;
    final AddressSpace bus;
    final RiscvConfig cfg;
    final boolean rv64;
    final long amask;
    final int xshift;
    final long ialignMask;
    final Decoder decoder;
    final Fpu fpu = new Fpu();
    final CsrFile csr;
    final Mmu mmu;
    final FloatingPoint fp;
    final Atomics atomics;
    final Interpreter interpreter;
    private final Translator translator;
    private final IrqLine[] pins = new IrqLine[InterruptPin.values().length];
    private final HartDebug debug;
    private final Runnable topologyListener = this::onTopologyChange;
    /** Pages of code shared by every hart of the address space; how this hart hears of writes to its code. */
    final CodePages codePages;
    final CodePages.Holder codeHolder = new CodePages.Holder() {
        @Override public void codeWritten(long address, long length) {
            if (onOwnThread()) mmu.invalidateOwnCode(address, length);
            else { codeWrites.add(new long[] {address, length}); deferWork(); }
        }
        @Override public void pageHeld(long page) {
            if (onOwnThread()) mmu.dropWriteMappings(page);
            else { pagesHeldElsewhere.add(page); deferWork(); }
        }
    };
    /** Told of each translated region a store overwrote. */
    final java.util.function.Consumer<CompiledRegion> regionDropped;

    // ---- architectural state ----
    final long[] x = new long[33];   // x[32] is the sink for writes to x0
    final long[] f = new long[32];
    long pc;
    int priv;
    long resAddr = -1, resValue;
    int resSize;
    /** Instructions retired since reset; exact whenever no engine is running. */
    long retired;
    /** The instruction count a CSR instruction sees (minstret/mcycle), set just before it executes. */
    long curRetired;
    /** Instructions the last translated region run retired (its second result). */
    int regionRetired;
    /** Set by a translated region that left before an access its TLB could not make: the interpreter does it. */
    boolean interpretNext;
    /** Synchronous exceptions delivered since reset (with retired, the instructions attempted). */
    long trapsTaken;

    // ---- execution control ----
    volatile boolean exitRequested;
    /** The thread that runs this hart (its vCPU thread); other threads only queue work for it. */
    private volatile Thread owner;
    private volatile Runnable wake = () -> { };
    /** Work other threads queued: the code they overwrote, pages another hart began holding, a map change. */
    private volatile boolean deferred, flushRequested;
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> codeWrites = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<Long> pagesHeldElsewhere = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Something the run loop must look at before going on: interrupts, privilege, translation, debugging. */
    boolean attention;
    boolean trapped;
    long trapCause, trapTval;
    boolean waiting;
    /**
     * A WFI that completed at once, because an interrupt was pending and enabled in mie yet masked by the
     * privilege's global enable, at this pc (-1: none since the last interrupt taken). The same WFI doing so
     * again means the guest polls with an interrupt it will not take pending: OpenSBI's secondary harts do,
     * from the wake-up IPI of the cold boot until Linux starts them, which spun a host core for the whole
     * boot. The run loop then pauses the thread ({@link #WFI_POLL_PAUSE_NANOS}) before going on; any wire that
     * moves ends the pause at once. The pause is long on purpose: OpenSBI 1.1's HSM start marks a hart
     * START_PENDING before it writes the address the hart is to start at, then sends the IPI; a secondary
     * that polls in between jumps to a stale address (Linux's entry, where it spins forever, and Linux reports
     * "CPU1: failed to come online"). A hart whose thread is descheduled in that window made a poller with
     * 200 us pauses catch it in a few percent of -smp 4 boots; the IPI, sent after the address, ends a pause.
     */
    private long wfiAtOncePc = -1;
    private boolean pauseForWfiPoll;
    static final long WFI_POLL_PAUSE_NANOS = 5_000_000;
    /** How long one such pause lasts at most: a wire that moves (an interrupt, an IPI) ends it at once. */
    long wfiPollPauseNanos = WFI_POLL_PAUSE_NANOS;
    /** Times the run loop paused for such polling. */
    long wfiPollPauses;

    // ---- debugging ----
    final Set<Long> breakpoints = new HashSet<>();
    record Watch(long addr, long len, int kind) { }
    final List<Watch> watchpoints = new ArrayList<>();
    boolean singleStep;
    private long skipBreakpointAt = -1;
    private boolean watchHit;
    long lastWatch;

    public RiscvHart(HartEnvironment env, RiscvConfig cfg) {
        this(env, cfg, TranslatorTuning.of(env.acceleration(), env.clock().countsInstructions()));
    }

    RiscvHart(HartEnvironment env, RiscvConfig cfg, TranslatorTuning tuning) {
        this.env = env;
        this.bus = env.addressSpace();
        this.cfg = cfg;
        this.rv64 = cfg.xlen() == 64;
        this.amask = rv64 ? -1L : 0xffffffffL;
        this.xshift = rv64 ? 0 : 32;
        this.ialignMask = cfg.c() ? 1 : 3;
        this.decoder = new Decoder(rv64, cfg.m(), cfg.a(), cfg.f(), cfg.d(), cfg.c());
        this.csr = new CsrFile(this);
        this.mmu = new Mmu(this);
        this.fp = new FloatingPoint(this);
        this.atomics = new Atomics(this);
        this.interpreter = new Interpreter(this);
        this.translator = env.acceleration().translate() ? new Translator(this, env.acceleration(), tuning) : null;
        this.regionDropped = translator != null ? translator::dropped : r -> { };
        this.debug = new HartDebugAccess(this);
        for (InterruptPin p : InterruptPin.values()) {
            long bit = 1L << p.mipBit();
            pins[p.ordinal()] = level -> {
                csr.setWire(bit, level);
                poke();
            };
        }
        this.codePages = bus.codePages();
        codePages.attach(codeHolder);
        bus.addTopologyListener(topologyListener);
        reset();
    }

    private void onTopologyChange() {
        if (onOwnThread()) {
            mmu.flushTlb();
            flushCode();
            attention = true;
        } else {
            flushRequested = true;
            deferWork();
        }
    }

    /**
     * True on the thread that runs this hart. Before any thread has run it, work from outside is queued too: the
     * thread that is about to run it (a restored or carried-over hart's) must not find its pages changing under it.
     */
    private boolean onOwnThread() {
        return owner == Thread.currentThread();
    }

    /** Queued work is done at the start of the next run and between chunks; a running hart leaves guest code for it. */
    private void deferWork() {
        deferred = true;
        if (owner != null) exitRequested = true;
    }

    /** On the hart's thread, before it executes anything: the work other threads queued. */
    private void doDeferredWork() {
        if (!deferred) return;
        deferred = false;
        if (flushRequested) {
            flushRequested = false;
            mmu.flushTlb();
            flushCode();
        }
        Long page;
        while ((page = pagesHeldElsewhere.poll()) != null) mmu.dropWriteMappings(page);
        long[] w;
        while ((w = codeWrites.poll()) != null) mmu.invalidateOwnCode(w[0], w[1]);
        attention = true;
    }

    /**
     * Something another thread did may need this hart (an interrupt wire moved, a timer fired): it looks at
     * interrupts again, and its thread wakes if it parked in WFI.
     */
    void poke() {
        attention = true;
        Thread running = owner;
        if (running == Thread.currentThread()) return;
        if (running != null) {
            exitRequested = true;
            // ends a pause for WFI polling (see wfiAtOncePc); any other park of the thread just returns once
            // more and waits again
            java.util.concurrent.locks.LockSupport.unpark(running);
        }
        // also when no thread has run this hart yet: a hart restored into WFI parks its thread before its first slice
        wake.run();
    }

    @Override public void setWakeListener(Runnable wake) { this.wake = wake; }

    // ---- Hart ----

    @Override public int hartId() { return cfg.hartId(); }
    @Override public long instructionsRetired() { return retired; }
    @Override public IrqLine interruptPin(InterruptPin pin) { return pins[pin.ordinal()]; }
    @Override public void requestExit() { exitRequested = true; }
    @Override public boolean waitingForInterrupt() { return waiting && (csr.mip() & csr.mie) == 0; }
    @Override public HartDebug debug() { return debug; }

    /** What a saved state is valid for: this layout, and a hart with the same ISA (misa, and so XLEN). */
    private String stateFormat() { return "riscv-hart/1 misa=" + Long.toHexString(cfg.misa()); }

    @Override public HartState saveState() {
        java.util.Map<String, Long> v = new java.util.HashMap<>();
        v.put("pc", pc);
        v.put("priv", (long) priv);
        v.put("waiting", waiting ? 1L : 0L);
        v.put("instret", retired);
        v.put("fflags", (long) fpu.flags);
        for (int i = 1; i < 32; i++) v.put("x" + i, x[i]);
        for (int i = 0; i < 32; i++) v.put("f" + i, f[i]);
        csr.saveTo(v);
        return new HartState(stateFormat(), v);
    }

    /** Takes over a saved state; a reservation (LR) is not carried, so the next SC fails, as the ISA allows. */
    @Override public void restoreState(HartState s) {
        if (!s.format().equals(stateFormat()))
            throw new IllegalArgumentException("a hart of " + stateFormat() + " cannot take a state saved as " + s.format());
        for (int i = 1; i < 32; i++) x[i] = s.get("x" + i);
        for (int i = 0; i < 32; i++) f[i] = s.get("f" + i);
        pc = s.get("pc") & amask;
        retired = s.get("instret");
        fpu.flags = (int) s.get("fflags");
        csr.restoreFrom(s);
        waiting = s.get("waiting") != 0;
        resAddr = -1;
        trapped = false;
        flushCode();
        mmu.flushTlb();
        setPriv((int) s.get("priv"));
        attention = true;
    }

    @Override public TranslationStatistics translationStatistics() {
        return translator != null ? translator.statistics() : null;
    }

    @Override
    public void reset() {
        Arrays.fill(x, 0);
        Arrays.fill(f, 0);
        pc = cfg.resetVector() & amask;
        priv = 3;
        csr.reset();
        resAddr = -1;
        retired = 0;
        trapsTaken = 0;
        waiting = false;
        trapped = false;
        flushCode();
        mmu.flushTlb();
        mmu.selectTlb();
        attention = true;
    }

    @Override
    public void close() {
        bus.removeTopologyListener(topologyListener);
        codePages.detach(codeHolder);
        csr.close();
        if (translator != null) translator.close();
        flushCode();
        mmu.close();
    }

    @Override
    public StopReason run(long budget) {
        owner = Thread.currentThread();
        doDeferredWork();
        if (waiting) {
            if ((csr.mip() & csr.mie) == 0) return StopReason.WAITING_FOR_INTERRUPT;
            waiting = false;
        }
        long n = 0;
        while (true) {
            if (exitRequested) { exitRequested = false; return StopReason.EXIT_REQUESTED; }
            doDeferredWork();
            attention = false;
            checkInterrupts();
            if (n >= budget) return StopReason.BUDGET;
            long chunk = Math.min(budget - n, CHUNK);
            boolean debugging = singleStep || !breakpoints.isEmpty();
            if (debugging) {
                if (breakpoints.contains(pc) && pc != skipBreakpointAt) { skipBreakpointAt = pc; return StopReason.BREAKPOINT; }
                skipBreakpointAt = -1;
                n += interpreter.execute(1, null);
            } else if (translator != null) {
                n += translator.execute(chunk);
            } else {
                n += interpreter.execute(chunk, null);
            }
            if (watchHit) { watchHit = false; return StopReason.WATCHPOINT; }
            if (waiting) return StopReason.WAITING_FOR_INTERRUPT;
            if (pauseForWfiPoll) {
                pauseForWfiPoll = false;
                wfiPollPauses++;
                java.util.concurrent.locks.LockSupport.parkNanos(wfiPollPauseNanos);
            }
            if (singleStep) return StopReason.STEP;
        }
    }

    // ---- interrupts and traps ----

    private void checkInterrupts() {
        long pend = csr.mip() & csr.mie;
        if (pend == 0) return;
        long mstatus = csr.mstatus;
        long m = pend & ~csr.mideleg;
        if (m != 0 && (priv < 3 || (mstatus & MIE_B) != 0)) { takeInterrupt(m); return; }
        long s = pend & csr.mideleg;
        if (s != 0 && (priv < 1 || (priv == 1 && (mstatus & SIE_B) != 0))) takeInterrupt(s);
    }

    private void takeInterrupt(long set) {
        for (int k = 0; k < 6; k++) {
            int code = (int) (PRIORITY >>> (4 * k)) & 15;
            if ((set >>> code & 1) != 0) {
                waiting = false;
                pc = deliver(pc, code, 0, true);
                return;
            }
        }
    }

    /** Records a synchronous exception of the current instruction; the engine delivers it with {@link #takeTrap}. */
    void raise(int cause, long tval) {
        trapped = true;
        attention = true;
        trapCause = cause;
        trapTval = tval;
    }

    /** Raises illegal-instruction for the instruction at pc; returns pc. */
    long illegal(long pc) {
        raise(C_ILLEGAL, mmu.rawInstruction(pc));
        return pc;
    }

    /** Delivers the raised exception of the instruction at epc (which did not retire); returns the next pc. */
    long takeTrap(long epc) {
        trapped = false;
        if (trapCause == DEBUG_STOP) return epc;
        trapsTaken++;
        return deliver(epc, (int) trapCause, trapTval, false);
    }

    /** The interpreter ran a WFI at pc that did not wait (see {@link #wfiAtOncePc}). */
    void wfiCompletedAtOnce(long pc) {
        if (pc == wfiAtOncePc) pauseForWfiPoll = true;
        wfiAtOncePc = pc;
    }

    private long deliver(long epc, int code, long tval, boolean intr) {
        if (intr) wfiAtOncePc = -1;
        int from = priv;
        long causeVal = intr ? (rv64 ? (1L << 63) | code : (long) (int) (0x80000000 | code)) : code;
        boolean toS = from <= 1 && cfg.s() && (((intr ? csr.mideleg : csr.medeleg) >>> code) & 1) != 0;
        long target;
        long st = csr.mstatus;
        if (toS) {
            csr.scause = causeVal; csr.sepc = epc; csr.stval = tval;
            st = (st & ~SPIE) | ((st & SIE_B) != 0 ? SPIE : 0);
            st &= ~SIE_B;
            st = (st & ~SPP) | (from == 1 ? SPP : 0);
            csr.mstatus = st;
            target = (csr.stvec & ~3L) + ((csr.stvec & 1) != 0 && intr ? 4L * code : 0);
            setPriv(1);
        } else {
            csr.mcause = causeVal; csr.mepc = epc; csr.mtval = tval;
            st = (st & ~MPIE) | ((st & MIE_B) != 0 ? MPIE : 0);
            st &= ~MIE_B;
            st = (st & ~MPP) | ((long) from << 11);
            csr.mstatus = st;
            target = (csr.mtvec & ~3L) + ((csr.mtvec & 1) != 0 && intr ? 4L * code : 0);
            setPriv(3);
        }
        resAddr = -1;
        attention = true;
        return target & amask;
    }

    void setPriv(int p) {
        priv = p;
        mmu.selectTlb();
    }

    /** A store to [pa, pa+size) breaks this hart's reservation on it. */
    void clearReservationOn(long pa, int size) {
        if (resAddr != -1 && Long.compareUnsigned(pa, resAddr + resSize) < 0 && Long.compareUnsigned(pa + size, resAddr) > 0) resAddr = -1;
    }

    /**
     * FENCE.I: instruction fetches see every earlier store. This hart's own stores into its code dropped what
     * they overwrote at once; stores by other harts and DMA were queued for it, and are applied now.
     */
    void fenceI() {
        java.lang.invoke.VarHandle.fullFence();
        deferred = true;
        doDeferredWork();
    }

    /** Drops all decoded and translated code. */
    private void flushCode() {
        if (translator != null) translator.flush(mmu.pages);
        mmu.flushCode();
        codePages.releaseAll(codeHolder);
    }

    // ---- watchpoints ----

    boolean watching() { return !watchpoints.isEmpty(); }

    /** True (after raising the debug stop) when the access hits a watchpoint; it is abandoned before it happens. */
    boolean watchCheck(long va, int size, boolean write) {
        for (Watch w : watchpoints) {
            boolean kindOk = w.kind == 4 || (w.kind == 2 && write) || (w.kind == 3 && !write);
            if (kindOk && Long.compareUnsigned(va, w.addr + w.len) < 0 && Long.compareUnsigned(va + size, w.addr) > 0) {
                watchHit = true;
                lastWatch = va;
                // stop before the access, as gdb expects on RISC-V: the instruction is abandoned like a
                // trap, but takeTrap leaves the pc on it and changes no architectural state
                raise(DEBUG_STOP, va);
                return true;
            }
        }
        return false;
    }
}
