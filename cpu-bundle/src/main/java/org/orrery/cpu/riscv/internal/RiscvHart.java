package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.Section;

/**
 * A RISC-V hart: an interpreter over instructions decoded once per physical page, with software TLBs that
 * map virtual pages straight to the backing memory segments of RAM.
 */
public final class RiscvHart implements Hart {
    static final ValueLayout.OfByte L8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort L16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt L32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong L64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VarHandle VH8 = L8.varHandle(), VH16 = L16.varHandle(), VH32 = L32.varHandle(), VH64 = L64.varHandle();

    private static final int TLB_BITS = 8, TLB_SIZE = 1 << TLB_BITS, TLB_MASK = TLB_SIZE - 1;
    private static final long M1 = ~0xfffL, M2 = ~0xfffL | 1, M4 = ~0xfffL | 3, M8 = ~0xfffL | 7;
    private static final int ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2;
    private static final int CHUNK = 8192;
    private static final int NPMP = 16;

    final HartEnvironment env;
    final AddressSpace bus;
    final RiscvConfig cfg;
    final boolean rv64;
    final long amask;
    final int xshift;
    final long ialignMask;
    private long trapsInChunk;
    final Decoder decoder;
    final Fpu fpu = new Fpu();
    private final VirtualClock.Timer stimecmpTimer;
    private final IrqLine[] pins = new IrqLine[InterruptPin.values().length];
    private final Debug debug = new Debug();

    // ---- architectural state ----
    final long[] x = new long[33];   // x[32] is the sink for writes to x0
    final long[] f = new long[32];
    long pc;
    int priv;
    long mstatus, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval;
    long stvec, sscratch, sepc, scause, stval, satp;
    long mcounteren, scounteren, menvcfg, senvcfg, stimecmp, mcountinhibit;
    int frm;
    long mipSw, mipWires;
    boolean sstcStip;
    long instretAdjust, cycleAdjust;
    final int[] pmpcfg = new int[NPMP];
    final long[] pmpaddr = new long[NPMP];
    boolean pmpAny;
    long resAddr = -1, resValue;
    int resSize;
    long retired, curRetired;

    // ---- execution control ----
    private volatile boolean exitRequested;
    boolean attention;
    boolean trapped;
    long trapCause, trapTval;
    boolean waiting;
    private boolean watchHit;
    private long lastWatch;

    // ---- TLBs ----
    // One set per privilege level (index 0 U, 1 S, 3 M): data TLBs follow the effective privilege of
    // loads and stores (MPRV), the instruction TLB the current privilege. Changing privilege only
    // selects another set; translation changes flush all of them.
    private final long[][] rTagSet = new long[4][TLB_SIZE], wTagSet = new long[4][TLB_SIZE], xTagSet = new long[4][TLB_SIZE];
    private final MemorySegment[][] rSegSet = new MemorySegment[4][TLB_SIZE], wSegSet = new MemorySegment[4][TLB_SIZE];
    private final long[][] rOffSet = new long[4][TLB_SIZE], wOffSet = new long[4][TLB_SIZE], wPaSet = new long[4][TLB_SIZE],
        rPaSet = new long[4][TLB_SIZE];
    private final DecodedPage[][] xPageSet = new DecodedPage[4][TLB_SIZE];
    long[] rTag, wTag, xTag, rOff, wOff, wPa, rPa;
    MemorySegment[] rSeg, wSeg;
    DecodedPage[] xPage;
    final HashMap<Long, DecodedPage> pages = new HashMap<>();

    // ---- debugging ----
    final Set<Long> breakpoints = new HashSet<>();
    record Watch(long addr, long len, int kind) { }
    final List<Watch> watchpoints = new ArrayList<>();
    boolean singleStep;
    private long skipBreakpointAt = -1;

    public RiscvHart(HartEnvironment env, RiscvConfig cfg) {
        this.env = env;
        this.bus = env.addressSpace();
        this.cfg = cfg;
        this.rv64 = cfg.xlen() == 64;
        this.amask = rv64 ? -1L : 0xffffffffL;
        this.xshift = rv64 ? 0 : 32;
        this.ialignMask = cfg.c() ? 1 : 3;
        this.decoder = new Decoder(rv64, cfg.m(), cfg.a(), cfg.f(), cfg.d(), cfg.c());
        this.stimecmpTimer = env.clock().newTimer(this::onStimecmpTimer);
        for (InterruptPin p : InterruptPin.values()) {
            long bit = 1L << p.mipBit();
            pins[p.ordinal()] = level -> {
                if (level) mipWires |= bit; else mipWires &= ~bit;
                attention = true;
            };
        }
        bus.addTopologyListener(this::onTopologyChange);
        reset();
    }

    private void onTopologyChange() {
        flushTlb();
        pages.clear();
        attention = true;
    }

    // =====================================================================================
    // Hart API
    // =====================================================================================

    @Override public int hartId() { return cfg.hartId(); }
    @Override public long instructionsRetired() { return retired; }
    @Override public IrqLine interruptPin(InterruptPin pin) { return pins[pin.ordinal()]; }
    @Override public void requestExit() { exitRequested = true; }
    @Override public boolean waitingForInterrupt() { return waiting && (mip() & mie) == 0; }
    @Override public HartDebug debug() { return debug; }

    @Override
    public void reset() {
        Arrays.fill(x, 0);
        Arrays.fill(f, 0);
        pc = cfg.resetVector() & amask;
        priv = 3;
        mstatus = rv64 ? (2L << 32 | 2L << 34) : 0;
        medeleg = mideleg = mie = mtvec = mscratch = mepc = mcause = mtval = 0;
        stvec = sscratch = sepc = scause = stval = satp = 0;
        mcounteren = scounteren = menvcfg = senvcfg = mcountinhibit = 0;
        stimecmp = -1;
        frm = 0;
        fpu.flags = 0;
        mipSw = 0;
        sstcStip = false;
        stimecmpTimer.cancel();
        instretAdjust = cycleAdjust = 0;
        Arrays.fill(pmpcfg, 0);
        Arrays.fill(pmpaddr, 0);
        pmpAny = false;
        resAddr = -1;
        retired = 0;
        waiting = false;
        trapped = false;
        pages.clear();
        flushTlb();
        selectTlb();
        attention = true;
    }

    @Override
    public StopReason run(long budget) {
        if (waiting) {
            if ((mip() & mie) == 0) return StopReason.WAITING_FOR_INTERRUPT;
            waiting = false;
        }
        long n = 0;
        while (true) {
            if (exitRequested) { exitRequested = false; return StopReason.EXIT_REQUESTED; }
            attention = false;
            checkInterrupts();
            if (n >= budget) return StopReason.BUDGET;
            long chunk = Math.min(budget - n, CHUNK);
            boolean debugging = singleStep || !breakpoints.isEmpty();
            if (debugging) {
                if (breakpoints.contains(pc) && pc != skipBreakpointAt) { skipBreakpointAt = pc; return StopReason.BREAKPOINT; }
                skipBreakpointAt = -1;
                chunk = 1;
            }
            n += execute(chunk);
            if (watchHit) { watchHit = false; return StopReason.WATCHPOINT; }
            if (waiting) return StopReason.WAITING_FOR_INTERRUPT;
            if (singleStep) return StopReason.STEP;
        }
    }

    // =====================================================================================
    // Interrupts
    // =====================================================================================

    long mip() {
        long v = mipSw | mipWires;
        if (stceActive()) {
            sstcStip = Long.compareUnsigned(env.mtime(), stimecmp) >= 0;
            v = (v & ~IP_STI) | (sstcStip ? IP_STI : 0);
        }
        return v;
    }

    private boolean stceActive() { return cfg.sstc() && menvcfg < 0; }

    /** Interrupt codes from highest to lowest priority, four bits each: MEI, MSI, MTI, SEI, SSI, STI. */
    private static final long PRIORITY = 0x5_1_9_7_3_bL;

    private void checkInterrupts() {
        long pend = mip() & mie;
        if (pend == 0) return;
        long m = pend & ~mideleg;
        if (m != 0 && (priv < 3 || (mstatus & MIE_B) != 0)) { takeInterrupt(m); return; }
        long s = pend & mideleg;
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

    private void onStimecmpTimer() {
        attention = true;
    }

    private void updateStimecmpTimer() {
        if (!stceActive()) { stimecmpTimer.cancel(); return; }
        if (Long.compareUnsigned(env.mtime(), stimecmp) >= 0 || stimecmp < 0) stimecmpTimer.cancel();
        else stimecmpTimer.armAt(env.nanosAtTicks(stimecmp));
        attention = true;
    }

    // =====================================================================================
    // Traps
    // =====================================================================================

    void raise(int cause, long tval) {
        trapped = true;
        trapCause = cause;
        trapTval = tval;
    }

    /** A pseudo-cause for "abandon this instruction for the debugger" (a watchpoint before its access). */
    private static final int DEBUG_STOP = -1;

    private long takeTrap(long epc) {
        trapped = false;
        if (trapCause == DEBUG_STOP) return epc;
        trapsInChunk++;
        return deliver(epc, (int) trapCause, trapTval, false);
    }

    long deliver(long epc, int code, long tval, boolean intr) {
        int from = priv;
        long causeVal = intr ? (rv64 ? (1L << 63) | code : (long) (int) (0x80000000 | code)) : code;
        boolean toS = from <= 1 && cfg.s() && (((intr ? mideleg : medeleg) >>> code) & 1) != 0;
        long target;
        if (toS) {
            scause = causeVal; sepc = epc; stval = tval;
            long st = mstatus;
            st = (st & ~SPIE) | ((st & SIE_B) != 0 ? SPIE : 0);
            st &= ~SIE_B;
            st = (st & ~SPP) | (from == 1 ? SPP : 0);
            mstatus = st;
            target = (stvec & ~3L) + ((stvec & 1) != 0 && intr ? 4L * code : 0);
            setPriv(1);
        } else {
            mcause = causeVal; mepc = epc; mtval = tval;
            long st = mstatus;
            st = (st & ~MPIE) | ((st & MIE_B) != 0 ? MPIE : 0);
            st &= ~MIE_B;
            st = (st & ~MPP) | ((long) from << 11);
            mstatus = st;
            target = (mtvec & ~3L) + ((mtvec & 1) != 0 && intr ? 4L * code : 0);
            setPriv(3);
        }
        resAddr = -1;
        attention = true;
        return target & amask;
    }

    private void setPriv(int p) {
        priv = p;
        selectTlb();
    }

    /** Points the TLB fields at the sets of the current (fetch) and effective (data) privilege. */
    void selectTlb() {
        int d = dataPriv(), f = priv;
        rTag = rTagSet[d]; rSeg = rSegSet[d]; rOff = rOffSet[d]; rPa = rPaSet[d];
        wTag = wTagSet[d]; wSeg = wSegSet[d]; wOff = wOffSet[d]; wPa = wPaSet[d];
        xTag = xTagSet[f]; xPage = xPageSet[f];
    }

    // =====================================================================================
    // TLB, translation, PMP
    // =====================================================================================

    void flushTlb() {
        for (int k = 0; k < 4; k++) {
            Arrays.fill(rTagSet[k], -1L);
            Arrays.fill(wTagSet[k], -1L);
            Arrays.fill(xTagSet[k], -1L);
            Arrays.fill(xPageSet[k], null);
            Arrays.fill(rSegSet[k], null);
            Arrays.fill(wSegSet[k], null);
        }
    }

    private int dataPriv() {
        return priv == 3 && (mstatus & MPRV) != 0 ? (int) ((mstatus >>> 11) & 3) : priv;
    }

    private int satpMode() {
        return rv64 ? (int) (satp >>> 60) : (int) (satp >>> 31) & 1;
    }

    /**
     * Translates a virtual address. Returns the physical address, or -1 after raising a fault when
     * {@code sideEffects}; without side effects (debugger) nothing is raised and A/D bits are left alone.
     */
    long translate(long va, int acc, int effPriv, boolean sideEffects) {
        int mode = satpMode();
        if (effPriv == 3 || mode == 0) return va & amask;
        int levels, vpnBits = 9, pteSize = 8;
        if (!rv64) { levels = 2; vpnBits = 10; pteSize = 4; }
        else levels = mode - 5; // Sv39, Sv48, Sv57
        int pageFault = acc == ACC_FETCH ? C_IPAGE : acc == ACC_LOAD ? C_LPAGE : C_SPAGE;
        int accessFault = acc == ACC_FETCH ? C_IACCESS : acc == ACC_LOAD ? C_LACCESS : C_SACCESS;
        if (rv64) {
            int vaBits = 12 + levels * 9;
            if (((va << (64 - vaBits)) >> (64 - vaBits)) != va) return fault(pageFault, va, sideEffects);
        } else {
            va &= 0xffffffffL;
        }
        long a = rv64 ? (satp & ((1L << 44) - 1)) << 12 : (satp & 0x3fffffL) << 12;
        for (int i = levels - 1; i >= 0; i--) {
            long idx = (va >>> (12 + i * vpnBits)) & ((1L << vpnBits) - 1);
            long pteAddr = a + idx * pteSize;
            if (!pmpAllows(pteAddr, pteSize, ACC_LOAD, 1)) return fault(accessFault, va, sideEffects);
            Section s = bus.find(pteAddr);
            if (s == null || s.isMmio() || !s.contains(pteAddr + pteSize - 1)) return fault(accessFault, va, sideEffects);
            long segOff = s.regionOffset() + (pteAddr - s.start());
            long pte = pteSize == 8 ? s.segment().get(L64, segOff) : s.segment().get(L32, segOff) & 0xffffffffL;
            if ((pte & 1) == 0 || ((pte & 2) == 0 && (pte & 4) != 0)) return fault(pageFault, va, sideEffects);
            if (rv64 && (pte >>> 54) != 0) return fault(pageFault, va, sideEffects);
            long ppn = rv64 ? (pte >>> 10) & ((1L << 44) - 1) : (pte >>> 10) & 0x3fffffL;
            if ((pte & 0xa) == 0) { // pointer to next level
                if ((pte & 0xd0) != 0) return fault(pageFault, va, sideEffects); // D, A, U reserved in non-leaf
                a = ppn << 12;
                continue;
            }
            // leaf
            boolean ok;
            if (acc == ACC_FETCH) ok = (pte & 8) != 0;
            else if (acc == ACC_LOAD) ok = (pte & 2) != 0 || ((mstatus & MXR) != 0 && (pte & 8) != 0);
            else ok = (pte & 4) != 0;
            boolean user = (pte & 16) != 0;
            if (effPriv == 0 && !user) ok = false;
            if (effPriv == 1 && user && (acc == ACC_FETCH || (mstatus & SUM) == 0)) ok = false;
            if (!ok) return fault(pageFault, va, sideEffects);
            long lowMask = (1L << (i * vpnBits)) - 1;
            if ((ppn & lowMask) != 0) return fault(pageFault, va, sideEffects);
            if ((pte & 0x40) == 0 || (acc == ACC_STORE && (pte & 0x80) == 0)) {
                if (sideEffects) {
                    if (s.isRom()) return fault(accessFault, va, sideEffects);
                    long npte = pte | 0x40 | (acc == ACC_STORE ? 0x80 : 0);
                    if (pteSize == 8) s.segment().set(L64, segOff, npte); else s.segment().set(L32, segOff, (int) npte);
                    DecodedPage dp = pages.get(pteAddr >>> 12);
                    if (dp != null) dp.invalidate((int) (pteAddr & 0xfff), pteSize);
                }
            }
            long offMask = (1L << (12 + i * vpnBits)) - 1;
            return ((ppn << 12) & ~offMask) | (va & offMask);
        }
        return fault(pageFault, va, sideEffects);
    }

    private long fault(int cause, long va, boolean sideEffects) {
        if (sideEffects) raise(cause, va);
        return -1;
    }

    /** PMP check of [pa, pa+size) for the access type at privilege p. */
    boolean pmpAllows(long pa, long size, int acc, int p) {
        if (!pmpAny) return p == 3; // entries are implemented: S/U accesses matching none fail
        long prevTop = 0;
        for (int i = 0; i < NPMP; i++) {
            int c = pmpcfg[i];
            int a = (c >> 3) & 3;
            long lo, hi; // [lo, hi)
            if (a == 0) { prevTop = pmpaddr[i] << 2; continue; }
            if (a == 1) { lo = prevTop; hi = pmpaddr[i] << 2; }
            else if (a == 2) { lo = pmpaddr[i] << 2; hi = lo + 4; }
            else {
                long v = pmpaddr[i];
                int t = Long.numberOfTrailingZeros(~v);
                if (t >= 54) { lo = 0; hi = -1L; }
                else { long sz = 1L << (t + 3); lo = (v << 2) & ~(sz - 1); hi = lo + sz; }
            }
            prevTop = pmpaddr[i] << 2;
            long end = pa + size;
            boolean anyIn = Long.compareUnsigned(pa, hi) < 0 && Long.compareUnsigned(end, lo) > 0 && Long.compareUnsigned(lo, hi) < 0;
            if (!anyIn) continue;
            boolean allIn = Long.compareUnsigned(pa, lo) >= 0 && Long.compareUnsigned(end, hi) <= 0;
            if (!allIn) return false;
            boolean locked = (c & 0x80) != 0;
            if (p == 3 && !locked) return true;
            int bit = acc == ACC_FETCH ? 4 : acc == ACC_LOAD ? 1 : 2;
            return (c & bit) != 0;
        }
        return p == 3;
    }

    private void recomputePmpAny() {
        boolean any = false;
        for (int c : pmpcfg) if (((c >> 3) & 3) != 0) any = true;
        pmpAny = any;
    }

    // =====================================================================================
    // Memory: slow paths (fast paths are inlined into the interpreter loop)
    // =====================================================================================

    private boolean watchCheck(long va, int size, boolean write) {
        for (Watch w : watchpoints) {
            boolean kindOk = w.kind == 4 || (w.kind == 2 && write) || (w.kind == 3 && !write);
            if (kindOk && Long.compareUnsigned(va, w.addr + w.len) < 0 && Long.compareUnsigned(va + size, w.addr) > 0) {
                watchHit = true;
                lastWatch = va;
                attention = true;
                // stop before the access, as gdb expects on RISC-V: the instruction is abandoned like a
                // trap, but takeTrap leaves the pc on it and changes no architectural state
                raise(DEBUG_STOP, va);
                return true;
            }
        }
        return false;
    }

    long loadSlow(long va, int size) {
        if ((va & (size - 1)) != 0) {
            // misaligned: done byte by byte in hardware, as QEMU does
            long v = 0;
            for (int k = 0; k < size; k++) {
                long b = loadSlow(va + k, 1);
                if (trapped) return 0;
                v |= (b & 0xff) << (8 * k);
            }
            return v;
        }
        int ep = dataPriv();
        long pa = translate(va, ACC_LOAD, ep, true);
        if (pa == -1) return 0;
        if (!watchpoints.isEmpty() && watchCheck(va, size, false)) return 0;
        Section s = bus.find(pa);
        if (s == null || !s.contains(pa + size - 1)) { raise(C_LACCESS, va); return 0; }
        if (!pmpAllows(pa, size, ACC_LOAD, ep)) { raise(C_LACCESS, va); return 0; }
        long off = s.regionOffset() + (pa - s.start());
        if (s.isMmio()) {
            try {
                long v = s.mmio().read(off, size);
                return v;
            } catch (RuntimeException e) {
                raise(C_LACCESS, va);
                return 0;
            }
        }
        long pageStart = pa & ~0xfffL;
        if (watchpoints.isEmpty() && s.contains(pageStart) && s.contains(pageStart + 0xfff)
                && (pmpAllows(pageStart, 4096, ACC_LOAD, ep))) {
            int i = (int) (va >>> 12) & TLB_MASK;
            rTag[i] = va & ~0xfffL;
            rSeg[i] = s.segment();
            rOff[i] = off - (pa & 0xfff);
            rPa[i] = pageStart;
        }
        return AddressSpace.load(s.segment(), off, size);
    }

    void storeSlow(long va, int size, long value) {
        if ((va & (size - 1)) != 0) {
            // check every byte translates before writing any
            int ep = dataPriv();
            for (int k = 0; k < size; k++) {
                long pa = translate(va + k, ACC_STORE, ep, true);
                if (pa == -1) return;
            }
            for (int k = 0; k < size; k++) {
                storeSlow(va + k, 1, value >>> (8 * k));
                if (trapped) return;
            }
            return;
        }
        int ep = dataPriv();
        long pa = translate(va, ACC_STORE, ep, true);
        if (pa == -1) return;
        if (!watchpoints.isEmpty() && watchCheck(va, size, true)) return;
        Section s = bus.find(pa);
        if (s == null || !s.contains(pa + size - 1)) { raise(C_SACCESS, va); return; }
        if (!pmpAllows(pa, size, ACC_STORE, ep)) { raise(C_SACCESS, va); return; }
        long off = s.regionOffset() + (pa - s.start());
        if (s.isMmio()) {
            try {
                s.mmio().write(off, size, value);
            } catch (RuntimeException e) {
                raise(C_SACCESS, va);
                return;
            }
            attention = true; // the device may have raised an interrupt or changed the map
            return;
        }
        if (s.isRom()) return;
        AddressSpace.store(s.segment(), off, size, value);
        long pageStart = pa & ~0xfffL;
        DecodedPage dp = pages.get(pa >>> 12);
        if (dp != null) {
            dp.invalidate((int) (pa & 0xfff), size);
        } else if (watchpoints.isEmpty() && s.contains(pageStart) && s.contains(pageStart + 0xfff)
                && (pmpAllows(pageStart, 4096, ACC_STORE, ep))) {
            int i = (int) (va >>> 12) & TLB_MASK;
            wTag[i] = va & ~0xfffL;
            wSeg[i] = s.segment();
            wOff[i] = off - (pa & 0xfff);
            wPa[i] = pageStart;
        }
        if (resAddr != -1 && Long.compareUnsigned(pa, resAddr + resSize) < 0 && Long.compareUnsigned(pa + size, resAddr) > 0) resAddr = -1;
    }

    // =====================================================================================
    // Instruction fetch
    // =====================================================================================

    /** The decoded page holding pc, filling the instruction TLB; null after raising a fetch fault. */
    DecodedPage fetchPage(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (xTag[i] == (va & M1)) return xPage[i];
        long pa = translate(va, ACC_FETCH, priv, true);
        if (pa == -1) return null;
        long paPage = pa & ~0xfffL;
        DecodedPage dp = pages.get(pa >>> 12);
        if (dp == null) {
            Section s = bus.find(pa);
            if (s == null || s.isMmio()) { raise(C_IACCESS, va); return null; }
            long off = s.regionOffset() + (paPage - s.start());
            int valid = (int) Math.min(4096, s.end() - paPage);
            if (!s.contains(paPage)) { raise(C_IACCESS, va); return null; } // region starts mid-page: not cached
            dp = new DecodedPage(paPage, s.segment(), off, valid);
            pages.put(pa >>> 12, dp);
            // stores to this page must now take the slow path that invalidates decoded code
            for (int set = 0; set < 4; set++) {
                long[] tags = wTagSet[set], pas = wPaSet[set];
                for (int k = 0; k < TLB_SIZE; k++) if (tags[k] != -1 && pas[k] == paPage) tags[k] = -1;
            }
        }
        if (!pmpAllows(paPage, 4096, ACC_FETCH, priv)) {
            if (!pmpAllows(pa, 2, ACC_FETCH, priv)) { raise(C_IACCESS, va); return null; }
            return dp; // not cached in the TLB: checked again on every page entry
        }
        xTag[i] = va & M1;
        xPage[i] = dp;
        return dp;
    }

    /** Decodes the instruction at pc in page dp (slot idx), caching it unless it crosses the page. */
    long decodeAt(DecodedPage dp, int idx, long pc) {
        int off = idx << 1;
        if (off + 2 > dp.validBytes) { raise(C_IACCESS, pc); return 0; }
        int lo = dp.segment.get(L16, dp.segmentOffset + off) & 0xffff;
        long d;
        if ((lo & 3) != 3) {
            d = decoder.decode(lo);
        } else if (off + 4 <= dp.validBytes && off + 4 <= 4096) {
            int hi = dp.segment.get(L16, dp.segmentOffset + off + 2) & 0xffff;
            d = decoder.decode32(lo | hi << 16);
        } else {
            long pc2 = (pc + 2) & amask;
            if (off + 4 <= 4096) { raise(C_IACCESS, pc2); return 0; }
            long pa2 = translate(pc2, ACC_FETCH, priv, true);
            if (pa2 == -1) return 0;
            Section s = bus.find(pa2);
            if (s == null || s.isMmio() || !s.contains(pa2 + 1) || (!pmpAllows(pa2, 2, ACC_FETCH, priv))) {
                raise(C_IACCESS, pc2);
                return 0;
            }
            int hi = s.segment().get(L16, s.regionOffset() + (pa2 - s.start())) & 0xffff;
            return decoder.decode32(lo | hi << 16); // not cached: the second half lives in another page
        }
        dp.ops[idx] = d;
        return d;
    }

    /** The raw bits of the instruction at pc for mtval (illegal instruction); 0 if unreadable. */
    long rawInstruction(long pc) {
        long pa = translate(pc, ACC_FETCH, priv, false);
        if (pa == -1) return 0;
        try {
            int lo = (int) bus.read(pa, 2);
            if ((lo & 3) != 3 && cfg.c()) return lo;
            long pa2 = translate(pc + 2, ACC_FETCH, priv, false);
            if (pa2 == -1) return 0;
            return (lo | (bus.read(pa2, 2) << 16)) & 0xffffffffL;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    void flushDecoded() {
        pages.clear();
        for (int k = 0; k < 4; k++) {
            Arrays.fill(xTagSet[k], -1L);
            Arrays.fill(xPageSet[k], null);
            Arrays.fill(wTagSet[k], -1L); // pages that were code may now take the fast store path again
        }
    }

    // =====================================================================================
    // The interpreter
    // =====================================================================================

    private long execute(long max) {
        final long[] x = this.x;
        long pc = this.pc;
        long n = 0;
        trapsInChunk = 0;
        long fvp = -1;
        DecodedPage page = null;
        long[] ops = null;
        while (n < max) {
            n++;
            if ((pc & M1) != fvp) {
                page = fetchPage(pc);
                if (page == null) { pc = takeTrap(pc); max = n; continue; }
                fvp = pc & M1;
                ops = page.ops;
            }
            int idx = (int) (pc >>> 1) & 2047;
            long d = ops[idx];
            if ((int) d == 0) {
                d = decodeAt(page, idx, pc);
                if (trapped) { pc = takeTrap(pc); max = n; fvp = -1; continue; }
            }
            int w = (int) d, imm = (int) (d >> 32);
            long npc = pc + 2 + ((w >>> 28) & 2);
            int rd = (w >>> 8) & 63, rs1 = (w >>> 14) & 31, rs2 = (w >>> 19) & 31;
            switch (w & 0xff) {
                case Op.NOP, Op.FENCE -> pc = npc;
                case Op.LUI -> { x[rd] = imm; pc = npc; }
                case Op.AUIPC -> { x[rd] = (pc + imm) << xshift >> xshift; pc = npc; }
                case Op.JAL -> {
                    long t = (pc + imm) & amask;
                    if ((t & ialignMask) != 0) { raise(C_IMISALIGN, t); pc = takeTrap(pc); max = n; continue; }
                    x[rd] = npc << xshift >> xshift;
                    pc = t;
                }
                case Op.JALR -> {
                    long t = (x[rs1] + imm) & ~1L & amask;
                    if ((t & ialignMask) != 0) { raise(C_IMISALIGN, t); pc = takeTrap(pc); max = n; continue; }
                    x[rd] = npc << xshift >> xshift;
                    pc = t;
                }
                case Op.BEQ -> pc = x[rs1] == x[rs2] ? (pc + imm) & amask : npc;
                case Op.BNE -> pc = x[rs1] != x[rs2] ? (pc + imm) & amask : npc;
                case Op.BLT -> pc = x[rs1] < x[rs2] ? (pc + imm) & amask : npc;
                case Op.BGE -> pc = x[rs1] >= x[rs2] ? (pc + imm) & amask : npc;
                case Op.BLTU -> pc = Long.compareUnsigned(x[rs1], x[rs2]) < 0 ? (pc + imm) & amask : npc;
                case Op.BGEU -> pc = Long.compareUnsigned(x[rs1], x[rs2]) >= 0 ? (pc + imm) & amask : npc;
                case Op.LB, Op.LBU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    long v;
                    if (rTag[i] == (a & M1)) v = (byte) VH8.get(rSeg[i], rOff[i] + (a & 0xfff));
                    else { v = loadSlow(a, 1); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LB ? (byte) v : v & 0xff;
                    pc = npc;
                }
                case Op.LH, Op.LHU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    long v;
                    if (rTag[i] == (a & M2)) v = (short) VH16.get(rSeg[i], rOff[i] + (a & 0xfff));
                    else { v = loadSlow(a, 2); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LH ? (short) v : v & 0xffff;
                    pc = npc;
                }
                case Op.LW, Op.LWU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    long v;
                    if (rTag[i] == (a & M4)) v = (int) VH32.get(rSeg[i], rOff[i] + (a & 0xfff));
                    else { v = loadSlow(a, 4); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LW ? (int) v : v & 0xffffffffL;
                    pc = npc;
                }
                case Op.LD -> {
                    long a = x[rs1] + imm;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    long v;
                    if (rTag[i] == (a & M8)) v = (long) VH64.get(rSeg[i], rOff[i] + (a & 0xfff));
                    else { v = loadSlow(a, 8); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    x[rd] = v;
                    pc = npc;
                }
                case Op.SB -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    if (wTag[i] == (a & M1)) VH8.set(wSeg[i], wOff[i] + (a & 0xfff), (byte) x[rs2]);
                    else { storeSlow(a, 1, x[rs2]); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    pc = npc;
                }
                case Op.SH -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    if (wTag[i] == (a & M2)) VH16.set(wSeg[i], wOff[i] + (a & 0xfff), (short) x[rs2]);
                    else { storeSlow(a, 2, x[rs2]); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    pc = npc;
                }
                case Op.SW -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    if (wTag[i] == (a & M4)) VH32.set(wSeg[i], wOff[i] + (a & 0xfff), (int) x[rs2]);
                    else { storeSlow(a, 4, x[rs2]); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    pc = npc;
                }
                case Op.SD -> {
                    long a = x[rs1] + imm;
                    int i = (int) (a >>> 12) & TLB_MASK;
                    if (wTag[i] == (a & M8)) VH64.set(wSeg[i], wOff[i] + (a & 0xfff), x[rs2]);
                    else { storeSlow(a, 8, x[rs2]); if (trapped) { pc = takeTrap(pc); max = n; continue; } if (attention) max = n; }
                    pc = npc;
                }
                case Op.ADDI -> { x[rd] = x[rs1] + imm; pc = npc; }
                case Op.SLTI -> { x[rd] = x[rs1] < imm ? 1 : 0; pc = npc; }
                case Op.SLTIU -> { x[rd] = Long.compareUnsigned(x[rs1], imm) < 0 ? 1 : 0; pc = npc; }
                case Op.XORI -> { x[rd] = x[rs1] ^ imm; pc = npc; }
                case Op.ORI -> { x[rd] = x[rs1] | imm; pc = npc; }
                case Op.ANDI -> { x[rd] = x[rs1] & imm; pc = npc; }
                case Op.SLLI -> { x[rd] = x[rs1] << imm; pc = npc; }
                case Op.SRLI -> { x[rd] = x[rs1] >>> imm; pc = npc; }
                case Op.SRAI -> { x[rd] = x[rs1] >> imm; pc = npc; }
                case Op.ADD -> { x[rd] = x[rs1] + x[rs2]; pc = npc; }
                case Op.SUB -> { x[rd] = x[rs1] - x[rs2]; pc = npc; }
                case Op.SLL -> { x[rd] = x[rs1] << x[rs2]; pc = npc; }
                case Op.SLT -> { x[rd] = x[rs1] < x[rs2] ? 1 : 0; pc = npc; }
                case Op.SLTU -> { x[rd] = Long.compareUnsigned(x[rs1], x[rs2]) < 0 ? 1 : 0; pc = npc; }
                case Op.XOR -> { x[rd] = x[rs1] ^ x[rs2]; pc = npc; }
                case Op.SRL -> { x[rd] = x[rs1] >>> x[rs2]; pc = npc; }
                case Op.SRA -> { x[rd] = x[rs1] >> x[rs2]; pc = npc; }
                case Op.OR -> { x[rd] = x[rs1] | x[rs2]; pc = npc; }
                case Op.AND -> { x[rd] = x[rs1] & x[rs2]; pc = npc; }
                case Op.ADDIW -> { x[rd] = (int) (x[rs1] + imm); pc = npc; }
                case Op.SLLIW -> { x[rd] = (int) x[rs1] << imm; pc = npc; }
                case Op.SRLIW -> { x[rd] = (int) x[rs1] >>> imm; pc = npc; }
                case Op.SRAIW -> { x[rd] = (int) x[rs1] >> imm; pc = npc; }
                case Op.ADDW -> { x[rd] = (int) (x[rs1] + x[rs2]); pc = npc; }
                case Op.SUBW -> { x[rd] = (int) (x[rs1] - x[rs2]); pc = npc; }
                case Op.SLLW -> { x[rd] = (int) x[rs1] << x[rs2]; pc = npc; }
                case Op.SRLW -> { x[rd] = (int) x[rs1] >>> x[rs2]; pc = npc; }
                case Op.SRAW -> { x[rd] = (int) x[rs1] >> x[rs2]; pc = npc; }
                case Op.MUL -> { x[rd] = x[rs1] * x[rs2]; pc = npc; }
                case Op.MULW -> { x[rd] = (int) x[rs1] * (int) x[rs2]; pc = npc; }
                case Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU, Op.DIVW, Op.DIVUW, Op.REMW,
                     Op.REMUW, Op.MULH32, Op.MULHSU32, Op.MULHU32, Op.DIVU32, Op.REMU32 -> {
                    x[rd] = mulDiv(w & 0xff, x[rs1], x[rs2]);
                    pc = npc;
                }
                case Op.AMO_W, Op.AMO_D -> {
                    amo(w, imm);
                    if (trapped) { pc = takeTrap(pc); max = n; continue; }
                    if (attention) max = n;
                    pc = npc;
                }
                case Op.FLW, Op.FLD, Op.FSW, Op.FSD, Op.FP -> {
                    fpOp(w, imm, pc);
                    if (trapped) { pc = takeTrap(pc); max = n; continue; }
                    if (attention) max = n;
                    pc = npc;
                }
                default -> {
                    // system instructions, CSRs, illegal: may change privilege, translation or interrupts
                    this.pc = pc;
                    curRetired = retired + n - trapsInChunk - 1;
                    long next = system(w, imm, pc, npc);
                    if (trapped) { pc = takeTrap(pc); max = n; continue; }
                    pc = next;
                    fvp = -1;
                    if (attention) max = n;
                }
            }
        }
        this.pc = pc;
        retired += n - trapsInChunk;
        return n;
    }


    private long mulDiv(int op, long a, long b) {
        switch (op) {
            case Op.MULH: return Math.multiplyHigh(a, b);
            case Op.MULHU: return Math.unsignedMultiplyHigh(a, b);
            case Op.MULHSU: return Math.multiplyHigh(a, b) + (b < 0 ? a : 0);
            case Op.DIV: return b == 0 ? -1 : (a == Long.MIN_VALUE && b == -1) ? a : a / b;
            case Op.DIVU: return b == 0 ? -1 : Long.divideUnsigned(a, b);
            case Op.REM: return b == 0 ? a : (a == Long.MIN_VALUE && b == -1) ? 0 : a % b;
            case Op.REMU: return b == 0 ? a : Long.remainderUnsigned(a, b);
            case Op.DIVW: { int x = (int) a, y = (int) b; return y == 0 ? -1 : (x == Integer.MIN_VALUE && y == -1) ? x : x / y; }
            case Op.DIVUW, Op.DIVU32: { int x = (int) a, y = (int) b; return y == 0 ? -1 : Integer.divideUnsigned(x, y); }
            case Op.REMW: { int x = (int) a, y = (int) b; return y == 0 ? x : (x == Integer.MIN_VALUE && y == -1) ? 0 : x % y; }
            case Op.REMUW, Op.REMU32: { int x = (int) a, y = (int) b; return y == 0 ? x : Integer.remainderUnsigned(x, y); }
            case Op.MULH32: return (int) (((long) (int) a * (long) (int) b) >> 32);
            case Op.MULHU32: return (int) (((a & 0xffffffffL) * (b & 0xffffffffL)) >>> 32);
            case Op.MULHSU32: return (int) (((long) (int) a * (b & 0xffffffffL)) >> 32);
            default: return 0;
        }
    }

    // =====================================================================================
    // Atomics
    // =====================================================================================

    private void amo(int w, int funct) {
        int rd = Op.rd(w), rs1 = Op.rs1(w), rs2 = Op.rs2(w);
        boolean dbl = (w & 0xff) == Op.AMO_D;
        int size = dbl ? 8 : 4;
        long va = x[rs1] & amask;
        if ((va & (size - 1)) != 0) { raise(funct == Op.LR ? C_LMISALIGN : C_SMISALIGN, va); return; }
        int ep = dataPriv();
        int ti = (int) (va >>> 12) & TLB_MASK;
        if (funct == Op.LR) {
            long pa, v;
            if (rTag[ti] == (va & M1)) {
                pa = rPa[ti] | (va & 0xfff);
                v = AddressSpace.load(rSeg[ti], rOff[ti] + (va & 0xfff), size);
            } else {
                pa = translate(va, ACC_LOAD, ep, true);
                if (pa == -1) return;
                Section s = bus.find(pa);
                if (s == null || s.isMmio() || !s.contains(pa + size - 1) || !pmpAllows(pa, size, ACC_LOAD, ep)) { raise(C_LACCESS, va); return; }
                v = AddressSpace.load(s.segment(), s.regionOffset() + (pa - s.start()), size);
                if (!watchpoints.isEmpty() && watchCheck(va, size, false)) return;
            }
            resAddr = pa; resSize = size; resValue = v;
            x[rd] = dbl ? v : (int) v;
            return;
        }
        long pa, off;
        MemorySegment seg;
        boolean tlbHit = wTag[ti] == (va & M1);  // write-TLB pages never hold decoded code
        if (tlbHit) {
            pa = wPa[ti] | (va & 0xfff);
            seg = wSeg[ti];
            off = wOff[ti] + (va & 0xfff);
        } else {
            pa = translate(va, ACC_STORE, ep, true);
            if (pa == -1) return;
            Section s = bus.find(pa);
            if (s == null || s.isMmio() || s.isRom() || !s.contains(pa + size - 1) || !pmpAllows(pa, size, ACC_STORE, ep)) { raise(C_SACCESS, va); return; }
            off = s.regionOffset() + (pa - s.start());
            seg = s.segment();
            if (!watchpoints.isEmpty() && watchCheck(va, size, true)) return;
        }
        long old = AddressSpace.load(seg, off, size);
        if (funct == Op.SC) {
            boolean ok = resAddr == pa && resSize == size && old == resValue;
            resAddr = -1;
            if (ok) {
                AddressSpace.store(seg, off, size, x[rs2]);
                if (!tlbHit) invalidateCode(pa, size);
            }
            x[rd] = ok ? 0 : 1;
            return;
        }
        long src = x[rs2];
        long a = dbl ? old : (int) old, b = dbl ? src : (int) src;
        long res = switch (funct) {
            case Op.AMOSWAP -> b;
            case Op.AMOADD -> a + b;
            case Op.AMOXOR -> a ^ b;
            case Op.AMOAND -> a & b;
            case Op.AMOOR -> a | b;
            case Op.AMOMIN -> Math.min(a, b);
            case Op.AMOMAX -> Math.max(a, b);
            case Op.AMOMINU -> Long.compareUnsigned(dbl ? a : a & 0xffffffffL, dbl ? b : b & 0xffffffffL) < 0 ? a : b;
            default -> Long.compareUnsigned(dbl ? a : a & 0xffffffffL, dbl ? b : b & 0xffffffffL) > 0 ? a : b;
        };
        AddressSpace.store(seg, off, size, res);
        if (!tlbHit) invalidateCode(pa, size);
        if (resAddr != -1 && resAddr == pa) resAddr = -1;
        x[rd] = a;
    }

    private void invalidateCode(long pa, int size) {
        DecodedPage dp = pages.get(pa >>> 12);
        if (dp != null) dp.invalidate((int) (pa & 0xfff), size);
    }

    // =====================================================================================
    // Floating point
    // =====================================================================================

    private boolean fsOff() { return (mstatus & FS) == 0; }
    private void fsDirty() { mstatus |= FS; }

    private int unboxS(long v) { return (v >>> 32) == 0xffffffffL ? (int) v : Fpu.CANON_S; }
    private static long boxS(int v) { return 0xffffffff00000000L | (v & 0xffffffffL); }

    private void fpOp(int w, int imm, long pc) {
        if (fsOff()) { raise(C_ILLEGAL, rawInstruction(pc)); return; }
        int op = w & 0xff, rd = Op.rd(w), rs1 = Op.rs1(w), rs2 = Op.rs2(w);
        switch (op) {
            case Op.FLW, Op.FLD -> {
                int size = op == Op.FLW ? 4 : 8;
                long a = (x[rs1] + imm) & amask;
                long v = loadSlowOrFast(a, size);
                if (trapped) return;
                f[rd] = size == 4 ? boxS((int) v) : v;
                fsDirty();
                return;
            }
            case Op.FSW, Op.FSD -> {
                int size = op == Op.FSW ? 4 : 8;
                long a = (x[rs1] + imm) & amask;
                storeFastOrSlow(a, size, f[rs2]);
                return;
            }
            default -> { }
        }
        int sub = imm >>> 8;
        boolean dbl = (imm & 8) != 0;
        int rm = imm & 7;
        if (rm == 7) {
            rm = frm;
            if (rm > 4) { raise(C_ILLEGAL, rawInstruction(pc)); return; }
        }
        Fpu u = fpu;
        int before = u.flags;
        long a = f[rs1], b = f[rs2];
        if (dbl) {
            switch (sub) {
                case Op.F_MADD, Op.F_MSUB, Op.F_NMSUB, Op.F_NMADD -> f[rd] = u.fmaD(a, b, f[Op.rs3(w)],
                    sub == Op.F_NMSUB || sub == Op.F_NMADD, sub == Op.F_MSUB || sub == Op.F_NMADD, rm);
                case Op.F_ADD -> f[rd] = u.addD(a, b, rm);
                case Op.F_SUB -> f[rd] = u.subD(a, b, rm);
                case Op.F_MUL -> f[rd] = u.mulD(a, b, rm);
                case Op.F_DIV -> f[rd] = u.divD(a, b, rm);
                case Op.F_SQRT -> f[rd] = u.sqrtD(a, rm);
                case Op.F_SGNJ -> f[rd] = (a & Long.MAX_VALUE) | (b & Long.MIN_VALUE);
                case Op.F_SGNJN -> f[rd] = (a & Long.MAX_VALUE) | (~b & Long.MIN_VALUE);
                case Op.F_SGNJX -> f[rd] = a ^ (b & Long.MIN_VALUE);
                case Op.F_MIN -> f[rd] = u.minMaxD(a, b, false);
                case Op.F_MAX -> f[rd] = u.minMaxD(a, b, true);
                case Op.F_CVT_W -> { x[rd] = u.cvtToInt(a, true, rm, 32, false); }
                case Op.F_CVT_WU -> { x[rd] = u.cvtToInt(a, true, rm, 32, true); }
                case Op.F_CVT_L -> { x[rd] = u.cvtToInt(a, true, rm, 64, false); }
                case Op.F_CVT_LU -> { x[rd] = u.cvtToInt(a, true, rm, 64, true); }
                case Op.F_MV_X -> { x[rd] = a; return; }
                case Op.F_EQ -> { x[rd] = u.compareD(a, b, 0); }
                case Op.F_LT -> { x[rd] = u.compareD(a, b, 1); }
                case Op.F_LE -> { x[rd] = u.compareD(a, b, 2); }
                case Op.F_CLASS -> { x[rd] = Fpu.classD(a); return; }
                case Op.F_CVT_FROM_W -> f[rd] = u.cvtFromInt((int) x[rs1], false, rm, true);
                case Op.F_CVT_FROM_WU -> f[rd] = u.cvtFromInt(x[rs1] & 0xffffffffL, false, rm, true);
                case Op.F_CVT_FROM_L -> f[rd] = u.cvtFromInt(x[rs1], false, rm, true);
                case Op.F_CVT_FROM_LU -> f[rd] = u.cvtFromInt(x[rs1], true, rm, true);
                case Op.F_MV_FROM_X -> f[rd] = x[rs1];
                case Op.F_CVT_D_S -> f[rd] = u.cvtDS(unboxS(a));
                default -> { raise(C_ILLEGAL, rawInstruction(pc)); return; }
            }
        } else {
            int sa = unboxS(a), sb = unboxS(b);
            switch (sub) {
                case Op.F_MADD, Op.F_MSUB, Op.F_NMSUB, Op.F_NMADD -> f[rd] = boxS(u.fmaS(sa, sb, unboxS(f[Op.rs3(w)]),
                    sub == Op.F_NMSUB || sub == Op.F_NMADD, sub == Op.F_MSUB || sub == Op.F_NMADD, rm));
                case Op.F_ADD -> f[rd] = boxS(u.addS(sa, sb, rm));
                case Op.F_SUB -> f[rd] = boxS(u.subS(sa, sb, rm));
                case Op.F_MUL -> f[rd] = boxS(u.mulS(sa, sb, rm));
                case Op.F_DIV -> f[rd] = boxS(u.divS(sa, sb, rm));
                case Op.F_SQRT -> f[rd] = boxS(u.sqrtS(sa, rm));
                case Op.F_SGNJ -> f[rd] = boxS((sa & 0x7fffffff) | (sb & 0x80000000));
                case Op.F_SGNJN -> f[rd] = boxS((sa & 0x7fffffff) | (~sb & 0x80000000));
                case Op.F_SGNJX -> f[rd] = boxS(sa ^ (sb & 0x80000000));
                case Op.F_MIN -> f[rd] = boxS(u.minMaxS(sa, sb, false));
                case Op.F_MAX -> f[rd] = boxS(u.minMaxS(sa, sb, true));
                case Op.F_CVT_W -> { x[rd] = u.cvtToInt(sa, false, rm, 32, false); }
                case Op.F_CVT_WU -> { x[rd] = u.cvtToInt(sa, false, rm, 32, true); }
                case Op.F_CVT_L -> { x[rd] = u.cvtToInt(sa, false, rm, 64, false); }
                case Op.F_CVT_LU -> { x[rd] = u.cvtToInt(sa, false, rm, 64, true); }
                case Op.F_MV_X -> { x[rd] = (int) a; return; }
                case Op.F_EQ -> { x[rd] = u.compareS(sa, sb, 0); }
                case Op.F_LT -> { x[rd] = u.compareS(sa, sb, 1); }
                case Op.F_LE -> { x[rd] = u.compareS(sa, sb, 2); }
                case Op.F_CLASS -> { x[rd] = Fpu.classS(sa); return; }
                case Op.F_CVT_FROM_W -> f[rd] = boxS((int) u.cvtFromInt((int) x[rs1], false, rm, false));
                case Op.F_CVT_FROM_WU -> f[rd] = boxS((int) u.cvtFromInt(x[rs1] & 0xffffffffL, false, rm, false));
                case Op.F_CVT_FROM_L -> f[rd] = boxS((int) u.cvtFromInt(x[rs1], false, rm, false));
                case Op.F_CVT_FROM_LU -> f[rd] = boxS((int) u.cvtFromInt(x[rs1], true, rm, false));
                case Op.F_MV_FROM_X -> f[rd] = boxS((int) x[rs1]);
                case Op.F_CVT_S_D -> f[rd] = boxS(u.cvtSD(a, rm));
                default -> { raise(C_ILLEGAL, rawInstruction(pc)); return; }
            }
        }
        if (u.flags != before || sub < Op.F_CVT_W || sub >= Op.F_CVT_FROM_W) fsDirty();
    }

    private long loadSlowOrFast(long a, int size) {
        int i = (int) (a >>> 12) & TLB_MASK;
        if (rTag[i] == (a & (~0xfffL | (size - 1)))) return AddressSpace.load(rSeg[i], rOff[i] + (a & 0xfff), size);
        return loadSlow(a, size);
    }

    private void storeFastOrSlow(long a, int size, long v) {
        int i = (int) (a >>> 12) & TLB_MASK;
        if (wTag[i] == (a & (~0xfffL | (size - 1)))) AddressSpace.store(wSeg[i], wOff[i] + (a & 0xfff), size, v);
        else storeSlow(a, size, v);
    }

    // =====================================================================================
    // System instructions and CSRs
    // =====================================================================================

    private long illegal(long pc) {
        raise(C_ILLEGAL, rawInstruction(pc));
        return pc;
    }

    private long system(int w, int imm, long pc, long npc) {
        int op = w & 0xff;
        switch (op) {
            case Op.ILLEGAL: return illegal(pc);
            case Op.FENCE_I:
                flushDecoded();
                attention = true;
                return npc;
            case Op.ECALL:
                raise(priv == 0 ? C_ECALL_U : priv == 1 ? C_ECALL_S : C_ECALL_M, 0);
                return pc;
            case Op.EBREAK:
                raise(C_BREAKPOINT, pc);
                return pc;
            case Op.MRET: {
                if (priv != 3) return illegal(pc);
                int mpp = (int) ((mstatus >>> 11) & 3);
                long st = mstatus;
                st = (st & ~MIE_B) | ((st & MPIE) != 0 ? MIE_B : 0);
                st |= MPIE;
                st &= ~MPP;
                if (!cfg.u()) st |= MPP;
                if (mpp != 3) st &= ~MPRV;
                mstatus = st;
                setPriv(mpp);
                attention = true;
                resAddr = -1;
                return mepc & amask;
            }
            case Op.SRET: {
                if (priv == 0 || (priv == 1 && (mstatus & TSR) != 0) || !cfg.s()) return illegal(pc);
                int spp = (mstatus & SPP) != 0 ? 1 : 0;
                long st = mstatus;
                st = (st & ~SIE_B) | ((st & SPIE) != 0 ? SIE_B : 0);
                st |= SPIE;
                st &= ~SPP;
                st &= ~MPRV;
                mstatus = st;
                setPriv(spp);
                attention = true;
                resAddr = -1;
                return sepc & amask;
            }
            case Op.WFI: {
                if (priv == 0 || (priv == 1 && (mstatus & TW) != 0)) return illegal(pc);
                if ((mip() & mie) == 0) waiting = true;
                attention = true;
                return npc;
            }
            case Op.SFENCE_VMA:
                if (priv == 0 || (priv == 1 && (mstatus & TVM) != 0)) return illegal(pc);
                flushTlb();
                return npc;
            case Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI:
                return csrInstruction(op, Op.rd(w), Op.rs1(w), imm & 0xfff, pc, npc);
            default:
                return illegal(pc);
        }
    }

    private long csrInstruction(int op, int rd, int rs1, int csr, long pc, long npc) {
        boolean imm = op >= Op.CSRRWI;
        long src = imm ? rs1 : x[rs1];
        boolean write = op == Op.CSRRW || op == Op.CSRRWI || rs1 != 0;
        int minPriv = (csr >>> 8) & 3;
        if (priv < minPriv) return illegal(pc);
        if (write && (csr >>> 10) == 3) return illegal(pc);
        if (!csrAccessAllowed(csr)) return illegal(pc);
        long old = csrRead(csr);
        if (old == NO_CSR) return illegal(pc);
        if (write) {
            long base = old;
            if ((csr == MIP || csr == SIP) && op != Op.CSRRW && op != Op.CSRRWI) base = csrRead(csr) & ~(mipWires & IP_SEI) | (mipSw & IP_SEI);
            long nv = switch (op) {
                case Op.CSRRW, Op.CSRRWI -> src;
                case Op.CSRRS, Op.CSRRSI -> base | src;
                default -> base & ~src;
            };
            if (!rv64) nv &= 0xffffffffL;
            csrWrite(csr, nv);
        }
        if (rd != 32) x[rd] = rv64 ? old : (int) old;
        return npc;
    }

    static final long NO_CSR = 0x8000_0000_dead_beefL;

    /** Privilege-dependent access rules beyond the number encoding. */
    private boolean csrAccessAllowed(int csr) {
        if (csr <= 3) return cfg.f() && !fsOff();
        if ((csr >= 0xc00 && csr <= 0xc1f) || (!rv64 && csr >= 0xc80 && csr <= 0xc9f)) {
            int bit = csr & 31;
            if (priv < 3 && ((mcounteren >>> bit) & 1) == 0) return false;
            if (priv == 0 && ((scounteren >>> bit) & 1) == 0) return false;
            return true;
        }
        if (csr == SATP && priv == 1 && (mstatus & TVM) != 0) return false;
        if (csr == STIMECMP || csr == STIMECMPH) {
            if (!cfg.sstc()) return false;
            if (priv == 1 && (((mcounteren >>> 1) & 1) == 0 || menvcfg >= 0)) return false;
        }
        return true;
    }

    private static final long SSTATUS_MASK = SIE_B | SPIE | SPP | FS | SUM | MXR | (3L << 32) | Long.MIN_VALUE;

    private long mstatusRead() {
        long v = mstatus;
        if ((v & FS) == FS) v |= rv64 ? Long.MIN_VALUE : 0x80000000L;
        return v;
    }

    /** Reads a CSR without side effects; NO_CSR when it does not exist. */
    long csrRead(int csr) {
        switch (csr) {
            case FFLAGS: return cfg.f() ? fpu.flags : NO_CSR;
            case FRM: return cfg.f() ? frm : NO_CSR;
            case FCSR: return cfg.f() ? (frm << 5 | fpu.flags) : NO_CSR;
            case CYCLE, MCYCLE: return curRetired + cycleAdjust;
            case INSTRET, MINSTRET: return curRetired + instretAdjust;
            case TIME: return env.mtime();
            case CYCLEH, MCYCLEH: return rv64 ? NO_CSR : (curRetired + cycleAdjust) >>> 32;
            case INSTRETH, MINSTRETH: return rv64 ? NO_CSR : (curRetired + instretAdjust) >>> 32;
            case TIMEH: return rv64 ? NO_CSR : env.mtime() >>> 32;
            case MVENDORID, MARCHID, MIMPID, MCONFIGPTR: return 0;
            case MHARTID: return cfg.hartId();
            case MSTATUS: return rv64 ? mstatusRead() : mstatusRead() & 0xffffffffL;
            case MSTATUSH: return rv64 ? NO_CSR : 0;
            case MISA: return rv64 ? cfg.misa() : cfg.misa() & 0xffffffffL;
            case MEDELEG: return medeleg;
            case MIDELEG: return mideleg;
            case MIE: return mie;
            case MTVEC: return mtvec;
            case MCOUNTEREN: return mcounteren;
            case MENVCFG: return rv64 ? menvcfg : menvcfg & 0xffffffffL;
            case MENVCFGH: return rv64 ? NO_CSR : menvcfg >>> 32;
            case MCOUNTINHIBIT: return mcountinhibit;
            case MSCRATCH: return mscratch;
            case MEPC: return mepc;
            case MCAUSE: return mcause;
            case MTVAL: return mtval;
            case MIP: return mip();
            case TSELECT, TDATA1, TDATA2, TDATA3: return 0;
            default: break;
        }
        if (cfg.s()) {
            switch (csr) {
                case SSTATUS: return mstatusRead() & (rv64 ? SSTATUS_MASK : SSTATUS_MASK & 0xffffffffL);
                case SIE: return mie & mideleg;
                case STVEC: return stvec;
                case SCOUNTEREN: return scounteren;
                case SENVCFG: return senvcfg;
                case SSCRATCH: return sscratch;
                case SEPC: return sepc;
                case SCAUSE: return scause;
                case STVAL: return stval;
                case SIP: return mip() & mideleg;
                case SATP: return satp;
                case STIMECMP: return cfg.sstc() ? (rv64 ? stimecmp : stimecmp & 0xffffffffL) : NO_CSR;
                case STIMECMPH: return cfg.sstc() && !rv64 ? stimecmp >>> 32 : NO_CSR;
                default: break;
            }
        }
        if ((csr >= 0xc03 && csr <= 0xc1f) || (csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return 0;
        if (!rv64 && ((csr >= 0xc83 && csr <= 0xc9f) || (csr >= 0xb83 && csr <= 0xb9f))) return 0;
        if (csr >= PMPCFG0 && csr <= PMPCFG0 + 15) {
            int n = csr - PMPCFG0;
            if (rv64 && (n & 1) != 0) return NO_CSR;
            int per = rv64 ? 8 : 4;
            long v = 0;
            for (int k = 0; k < per; k++) {
                int e = n * 4 + k;
                if (e < NPMP) v |= (long) pmpcfg[e] << (8 * k);
            }
            return v;
        }
        if (csr >= PMPADDR0 && csr <= PMPADDR0 + 63) {
            int e = csr - PMPADDR0;
            return e < NPMP ? (rv64 ? pmpaddr[e] : pmpaddr[e] & 0xffffffffL) : 0;
        }
        return NO_CSR;
    }

    void csrWrite(int csr, long v) {
        switch (csr) {
            case FFLAGS -> { fpu.flags = (int) v & 31; fsDirty(); }
            case FRM -> { frm = (int) v & 7; fsDirty(); }
            case FCSR -> { fpu.flags = (int) v & 31; frm = (int) (v >>> 5) & 7; fsDirty(); }
            case MCYCLE -> cycleAdjust = v - curRetired - 1;
            case MINSTRET -> instretAdjust = v - curRetired - 1;
            case MCYCLEH -> cycleAdjust = ((v << 32) | ((curRetired + cycleAdjust) & 0xffffffffL)) - curRetired - 1;
            case MINSTRETH -> instretAdjust = ((v << 32) | ((curRetired + instretAdjust) & 0xffffffffL)) - curRetired - 1;
            case MSTATUS -> writeMstatus(v, SIE_B | MIE_B | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR);
            case SSTATUS -> writeMstatus(v, SIE_B | SPIE | SPP | FS | SUM | MXR);
            case MEDELEG -> medeleg = v & 0xb3ffL;
            case MIDELEG -> { mideleg = v & 0x222L; attention = true; }
            case MIE -> { mie = v & 0xaaaL; attention = true; }
            case SIE -> { mie = (mie & ~mideleg) | (v & mideleg & 0x222L); attention = true; }
            case MIP -> {
                long mask = IP_SSI | IP_SEI | (stceActive() ? 0 : IP_STI);
                mipSw = (mipSw & ~mask) | (v & mask);
                attention = true;
            }
            case SIP -> {
                long mask = IP_SSI & mideleg;
                mipSw = (mipSw & ~mask) | (v & mask);
                attention = true;
            }
            case MTVEC -> { if ((v & 3) < 2) mtvec = v & amask; }
            case STVEC -> { if ((v & 3) < 2) stvec = v & amask; }
            case MCOUNTEREN -> mcounteren = v & 0xffffffffL;
            case SCOUNTEREN -> scounteren = v & 0xffffffffL;
            case MENVCFG -> { menvcfg = (v & 1) | (cfg.sstc() && rv64 ? v & Long.MIN_VALUE : 0); updateStimecmpTimer(); }
            case MENVCFGH -> { if (cfg.sstc()) menvcfg = (menvcfg & 0xffffffffL) | (v & 0x80000000L) << 32; updateStimecmpTimer(); }
            case SENVCFG -> senvcfg = v & 1;
            case MCOUNTINHIBIT -> mcountinhibit = v & 0xfffffffdL;
            case MSCRATCH -> mscratch = v;
            case SSCRATCH -> sscratch = v;
            case MEPC -> mepc = v & (cfg.c() ? ~1L : ~3L) & amask;
            case SEPC -> sepc = v & (cfg.c() ? ~1L : ~3L) & amask;
            case MCAUSE -> mcause = v;
            case SCAUSE -> scause = v;
            case MTVAL -> mtval = v;
            case STVAL -> stval = v;
            case SATP -> writeSatp(v);
            case STIMECMP -> { stimecmp = rv64 ? v : (stimecmp & ~0xffffffffL) | (v & 0xffffffffL); updateStimecmpTimer(); }
            case STIMECMPH -> { stimecmp = (stimecmp & 0xffffffffL) | (v << 32); updateStimecmpTimer(); }
            default -> {
                if (csr >= PMPCFG0 && csr <= PMPCFG0 + 15) writePmpcfg(csr - PMPCFG0, v);
                else if (csr >= PMPADDR0 && csr <= PMPADDR0 + 63) writePmpaddr(csr - PMPADDR0, v);
                // counters, events, triggers: writes ignored
            }
        }
    }

    private void writeMstatus(long v, long mask) {
        long old = mstatus;
        long nv = (old & ~mask) | (v & mask);
        if (((nv >>> 11) & 3) == 2) nv = (nv & ~MPP) | (old & MPP);
        if (!cfg.f()) nv &= ~FS;
        mstatus = nv;
        if (((old ^ nv) & (SUM | MXR)) != 0) flushTlb();
        if (((old ^ nv) & (MPRV | MPP)) != 0) selectTlb();
        attention = true;
    }

    private void writeSatp(long v) {
        if (rv64) {
            long mode = v >>> 60;
            if (mode != 0 && mode != 8 && mode != 9 && mode != 10) return;
            satp = v & 0xf000_ffff_ffff_ffffL | (v & 0x0fff_0000_0000_0000L & (0xffffL << 44));
        } else {
            satp = v & 0xffffffffL;
        }
        flushTlb();
    }

    private boolean pmpLocked(int e) { return e < NPMP && (pmpcfg[e] & 0x80) != 0; }

    private void writePmpcfg(int n, long v) {
        if (rv64 && (n & 1) != 0) return;
        int per = rv64 ? 8 : 4;
        for (int k = 0; k < per; k++) {
            int e = n * 4 + k;
            if (e >= NPMP || pmpLocked(e)) continue;
            int c = (int) (v >>> (8 * k)) & 0x9f;
            pmpcfg[e] = c;
        }
        recomputePmpAny();
        flushTlb();
    }

    private void writePmpaddr(int e, long v) {
        if (e >= NPMP || pmpLocked(e)) return;
        if (e + 1 < NPMP && pmpLocked(e + 1) && ((pmpcfg[e + 1] >> 3) & 3) == 1) return;
        pmpaddr[e] = rv64 ? v & 0x003f_ffff_ffff_ffffL : v & 0xffffffffL;
        flushTlb();
    }

    // =====================================================================================
    // Debug access
    // =====================================================================================

    private final class Debug implements HartDebug {
        @Override public String architecture() { return rv64 ? "riscv:rv64" : "riscv:rv32"; }
        @Override public int xlen() { return cfg.xlen(); }
        @Override public long pc() { return pc; }
        @Override public void setPc(long v) { pc = v & amask; }
        @Override public long gpr(int i) { return i == 0 ? 0 : x[i]; }
        @Override public void setGpr(int i, long v) { if (i != 0) x[i] = rv64 ? v : (int) v; }
        @Override public long fpr(int i) { return f[i]; }
        @Override public void setFpr(int i, long bits) { f[i] = bits; }
        @Override public Long csr(int number) {
            curRetired = retired;
            long v = csrRead(number & 0xfff);
            return v == NO_CSR ? null : v;
        }
        @Override public boolean setCsr(int number, long value) {
            curRetired = retired;
            if (csrRead(number & 0xfff) == NO_CSR) return false;
            if (number == MISA || number == MHARTID) return true;
            csrWrite(number & 0xfff, value);
            return true;
        }
        @Override public int privilege() { return priv; }

        private long pa(long va) { return RiscvHart.this.translate(va & amask, ACC_LOAD, dataPriv(), false); }

        @Override public int readMemory(long address, byte[] dst, int offset, int length) {
            for (int k = 0; k < length; k++) {
                long p = pa(address + k);
                if (p == -1) return k;
                Section s = bus.find(p);
                if (s == null) return k;
                try {
                    dst[offset + k] = (byte) bus.read(p, 1);
                } catch (RuntimeException e) {
                    return k;
                }
            }
            return length;
        }

        @Override public int writeMemory(long address, byte[] src, int offset, int length) {
            for (int k = 0; k < length; k++) {
                long p = pa(address + k);
                if (p == -1) return k;
                Section s = bus.find(p);
                if (s == null) return k;
                try {
                    bus.writeBytes(p, src, offset + k, 1);
                } catch (RuntimeException e) {
                    return k;
                }
                invalidateCode(p, 1);
            }
            return length;
        }

        @Override public long translate(long va) { return pa(va); }
        @Override public void addBreakpoint(long address) { breakpoints.add(address & amask); }
        @Override public void removeBreakpoint(long address) { breakpoints.remove(address & amask); }
        @Override public void addWatchpoint(long address, long length, int kind) {
            watchpoints.add(new Watch(address, length, kind));
            flushTlb();
        }
        @Override public void removeWatchpoint(long address, long length, int kind) {
            watchpoints.remove(new Watch(address, length, kind));
        }
        @Override public long lastWatchpointAddress() { return lastWatch; }
        @Override public void setSingleStep(boolean on) { singleStep = on; }
    }
}
