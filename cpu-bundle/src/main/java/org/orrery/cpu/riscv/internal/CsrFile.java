package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.util.Arrays;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.machine.clock.VirtualClock;

/**
 * The hart's control and status registers: their values, the rules for reading and writing them (masks,
 * WARL fields, privilege and counter-enable checks) and the CSR instructions. Writes that change how
 * memory is translated flush the MMU; writes that may unmask an interrupt raise the hart's attention.
 */
final class CsrFile {
    static final int NPMP = 16;
    /** csrRead's answer for a CSR that does not exist. */
    static final long NO_CSR = 0x8000_0000_dead_beefL;
    private static final long SSTATUS_MASK = SIE_B | SPIE | SPP | FS | SUM | MXR | (3L << 32) | Long.MIN_VALUE;

    private final RiscvHart hart;
    private final RiscvConfig cfg;
    private final boolean rv64;
    private final VirtualClock.Timer stimecmpTimer;

    long mstatus, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval;
    long stvec, sscratch, sepc, scause, stval, satp;
    long mcounteren, scounteren, menvcfg, senvcfg, stimecmp, mcountinhibit;
    int frm;
    /** mip bits written by software (SSIP, STIP without Sstc, SEIP). */
    long mipSw;
    /** mip bits driven by the platform's wires; devices drive them from any thread (see {@link #setWire}). */
    private volatile long mipWires;
    private static final java.lang.invoke.VarHandle MIP_WIRES;
    static {
        try {
            MIP_WIRES = java.lang.invoke.MethodHandles.lookup().findVarHandle(CsrFile.class, "mipWires", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    long instretAdjust, cycleAdjust;
    final int[] pmpcfg = new int[NPMP];
    final long[] pmpaddr = new long[NPMP];
    /** True when any PMP entry is active (otherwise M may access everything and S/U nothing). */
    boolean pmpAny;

    CsrFile(RiscvHart hart) {
        this.hart = hart;
        this.cfg = hart.cfg;
        this.rv64 = hart.rv64;
        this.stimecmpTimer = hart.env.clock().newTimer(hart::poke);
    }

    void reset() {
        mstatus = rv64 ? (2L << 32 | 2L << 34) : 0;
        medeleg = mideleg = mie = mtvec = mscratch = mepc = mcause = mtval = 0;
        stvec = sscratch = sepc = scause = stval = satp = 0;
        mcounteren = scounteren = menvcfg = senvcfg = mcountinhibit = 0;
        stimecmp = -1;
        frm = 0;
        hart.fpu.flags = 0;
        mipSw = 0;
        stimecmpTimer.cancel();
        instretAdjust = cycleAdjust = 0;
        Arrays.fill(pmpcfg, 0);
        Arrays.fill(pmpaddr, 0);
        pmpAny = false;
    }

    private static final String[] SAVED = {"mstatus", "medeleg", "mideleg", "mie", "mtvec", "mscratch", "mepc", "mcause", "mtval",
        "stvec", "sscratch", "sepc", "scause", "stval", "satp", "mcounteren", "scounteren", "menvcfg", "senvcfg", "stimecmp",
        "mcountinhibit", "frm", "mip-software", "mip-wires", "instret-adjust", "cycle-adjust"};

    /** The CSRs' state by name, for {@link HartStates}. */
    void saveTo(java.util.Map<String, Long> out) {
        long[] v = {mstatus, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval, stvec, sscratch, sepc, scause, stval,
            satp, mcounteren, scounteren, menvcfg, senvcfg, stimecmp, mcountinhibit, frm, mipSw, mipWires, instretAdjust, cycleAdjust};
        for (int i = 0; i < SAVED.length; i++) out.put(SAVED[i], v[i]);
        for (int e = 0; e < NPMP; e++) {
            out.put("pmpcfg" + e, (long) pmpcfg[e]);
            out.put("pmpaddr" + e, pmpaddr[e]);
        }
    }

    /**
     * Takes the CSRs' state saved by {@link #saveTo}; the interrupt wires start at the levels the devices drove
     * then (they have not moved since: the machine was stopped) until a device drives them again.
     */
    void restoreFrom(org.orrery.machine.cpu.HartState s) {
        mstatus = s.get("mstatus"); medeleg = s.get("medeleg"); mideleg = s.get("mideleg"); mie = s.get("mie");
        mtvec = s.get("mtvec"); mscratch = s.get("mscratch"); mepc = s.get("mepc"); mcause = s.get("mcause"); mtval = s.get("mtval");
        stvec = s.get("stvec"); sscratch = s.get("sscratch"); sepc = s.get("sepc"); scause = s.get("scause"); stval = s.get("stval");
        satp = s.get("satp"); mcounteren = s.get("mcounteren"); scounteren = s.get("scounteren"); menvcfg = s.get("menvcfg");
        senvcfg = s.get("senvcfg"); stimecmp = s.get("stimecmp"); mcountinhibit = s.get("mcountinhibit"); frm = (int) s.get("frm");
        mipSw = s.get("mip-software"); mipWires = s.get("mip-wires");
        instretAdjust = s.get("instret-adjust"); cycleAdjust = s.get("cycle-adjust");
        boolean any = false;
        for (int e = 0; e < NPMP; e++) {
            pmpcfg[e] = (int) s.get("pmpcfg" + e);
            pmpaddr[e] = s.get("pmpaddr" + e);
            if (((pmpcfg[e] >> 3) & 3) != 0) any = true;
        }
        pmpAny = any;
        updateStimecmpTimer();
    }

    /** Cancels the Sstc timer: the hart is going away. */
    void close() { stimecmpTimer.cancel(); }

    // ---- interrupts ----

    /** A platform wire into mip changed; any thread. */
    void setWire(long bit, boolean level) {
        if (level) MIP_WIRES.getAndBitwiseOr(this, bit); else MIP_WIRES.getAndBitwiseAnd(this, ~bit);
    }

    long mip() {
        long v = mipSw | mipWires;
        if (stceActive()) {
            boolean stip = Long.compareUnsigned(hart.env.mtime(), stimecmp) >= 0;
            v = (v & ~IP_STI) | (stip ? IP_STI : 0);
        }
        return v;
    }

    private boolean stceActive() { return cfg.sstc() && menvcfg < 0; }

    private void updateStimecmpTimer() {
        if (!stceActive()) { stimecmpTimer.cancel(); return; }
        if (Long.compareUnsigned(hart.env.mtime(), stimecmp) >= 0 || stimecmp < 0) stimecmpTimer.cancel();
        else stimecmpTimer.armAt(hart.env.nanosAtTicks(stimecmp));
        hart.attention = true;
    }

    boolean fsOff() { return (mstatus & FS) == 0; }
    void fsDirty() { mstatus |= FS; }

    // ---- the CSR instructions ----

    /** Executes csrrw/s/c[i]; returns the next pc, or the instruction's pc after raising illegal-instruction. */
    long instruction(int op, int rd, int rs1, int csr, long pc, long npc) {
        boolean imm = op >= Op.CSRRWI;
        long src = imm ? rs1 : hart.x[rs1];
        boolean write = op == Op.CSRRW || op == Op.CSRRWI || rs1 != 0;
        int minPriv = (csr >>> 8) & 3;
        if (hart.priv < minPriv) return hart.illegal(pc);
        if (write && (csr >>> 10) == 3) return hart.illegal(pc);
        if (!accessAllowed(csr)) return hart.illegal(pc);
        long old = read(csr);
        if (old == NO_CSR) return hart.illegal(pc);
        if (write) {
            long base = old;
            if ((csr == MIP || csr == SIP) && op != Op.CSRRW && op != Op.CSRRWI) base = read(csr) & ~(mipWires & IP_SEI) | (mipSw & IP_SEI);
            long nv = switch (op) {
                case Op.CSRRW, Op.CSRRWI -> src;
                case Op.CSRRS, Op.CSRRSI -> base | src;
                default -> base & ~src;
            };
            if (!rv64) nv &= 0xffffffffL;
            write(csr, nv);
        }
        if (rd != 32) hart.x[rd] = rv64 ? old : (int) old;
        return npc;
    }

    /** Privilege-dependent access rules beyond the number encoding. */
    private boolean accessAllowed(int csr) {
        int priv = hart.priv;
        if (csr <= 3) return cfg.f() && !fsOff();
        if ((csr >= 0xc00 && csr <= 0xc1f) || (!rv64 && csr >= 0xc80 && csr <= 0xc9f)) {
            int bit = csr & 31;
            if (priv < 3 && ((mcounteren >>> bit) & 1) == 0) return false;
            return priv != 0 || ((scounteren >>> bit) & 1) != 0;
        }
        if (csr == SATP && priv == 1 && (mstatus & TVM) != 0) return false;
        if (csr == STIMECMP || csr == STIMECMPH) {
            if (!cfg.sstc()) return false;
            if (priv == 1 && (((mcounteren >>> 1) & 1) == 0 || menvcfg >= 0)) return false;
        }
        return true;
    }

    private long mstatusRead() {
        long v = mstatus;
        if ((v & FS) == FS) v |= rv64 ? Long.MIN_VALUE : 0x80000000L;
        return v;
    }

    /** Reads a CSR without side effects; NO_CSR when it does not exist. */
    long read(int csr) {
        long retired = hart.curRetired;
        switch (csr) {
            case FFLAGS: return cfg.f() ? hart.fpu.flags : NO_CSR;
            case FRM: return cfg.f() ? frm : NO_CSR;
            case FCSR: return cfg.f() ? (frm << 5 | hart.fpu.flags) : NO_CSR;
            case CYCLE, MCYCLE: return retired + cycleAdjust;
            case INSTRET, MINSTRET: return retired + instretAdjust;
            case TIME: return hart.env.mtime();
            case CYCLEH, MCYCLEH: return rv64 ? NO_CSR : (retired + cycleAdjust) >>> 32;
            case INSTRETH, MINSTRETH: return rv64 ? NO_CSR : (retired + instretAdjust) >>> 32;
            case TIMEH: return rv64 ? NO_CSR : hart.env.mtime() >>> 32;
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

    void write(int csr, long v) {
        long retired = hart.curRetired;
        long amask = hart.amask;
        switch (csr) {
            case FFLAGS -> { hart.fpu.flags = (int) v & 31; fsDirty(); }
            case FRM -> { frm = (int) v & 7; fsDirty(); }
            case FCSR -> { hart.fpu.flags = (int) v & 31; frm = (int) (v >>> 5) & 7; fsDirty(); }
            case MCYCLE -> cycleAdjust = v - retired - 1;
            case MINSTRET -> instretAdjust = v - retired - 1;
            case MCYCLEH -> cycleAdjust = ((v << 32) | ((retired + cycleAdjust) & 0xffffffffL)) - retired - 1;
            case MINSTRETH -> instretAdjust = ((v << 32) | ((retired + instretAdjust) & 0xffffffffL)) - retired - 1;
            case MSTATUS -> writeMstatus(v, SIE_B | MIE_B | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR);
            case SSTATUS -> writeMstatus(v, SIE_B | SPIE | SPP | FS | SUM | MXR);
            case MEDELEG -> medeleg = v & 0xb3ffL;
            case MIDELEG -> { mideleg = v & 0x222L; hart.attention = true; }
            case MIE -> { mie = v & 0xaaaL; hart.attention = true; }
            case SIE -> { mie = (mie & ~mideleg) | (v & mideleg & 0x222L); hart.attention = true; }
            case MIP -> {
                long mask = IP_SSI | IP_SEI | (stceActive() ? 0 : IP_STI);
                mipSw = (mipSw & ~mask) | (v & mask);
                hart.attention = true;
            }
            case SIP -> {
                long mask = IP_SSI & mideleg;
                mipSw = (mipSw & ~mask) | (v & mask);
                hart.attention = true;
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
        if (((old ^ nv) & (SUM | MXR)) != 0) hart.mmu.flushTlb();
        if (((old ^ nv) & (MPRV | MPP)) != 0) hart.mmu.selectTlb();
        hart.attention = true;
    }

    private void writeSatp(long v) {
        if (rv64) {
            long mode = v >>> 60;
            if (mode != 0 && mode != 8 && mode != 9 && mode != 10) return;
            satp = v & 0xf000_ffff_ffff_ffffL | (v & 0x0fff_0000_0000_0000L & (0xffffL << 44));
        } else {
            satp = v & 0xffffffffL;
        }
        hart.mmu.flushTlb();
    }

    private boolean pmpLocked(int e) { return e < NPMP && (pmpcfg[e] & 0x80) != 0; }

    private void writePmpcfg(int n, long v) {
        if (rv64 && (n & 1) != 0) return;
        int per = rv64 ? 8 : 4;
        for (int k = 0; k < per; k++) {
            int e = n * 4 + k;
            if (e >= NPMP || pmpLocked(e)) continue;
            pmpcfg[e] = (int) (v >>> (8 * k)) & 0x9f;
        }
        boolean any = false;
        for (int c : pmpcfg) if (((c >> 3) & 3) != 0) any = true;
        pmpAny = any;
        hart.mmu.flushTlb();
    }

    private void writePmpaddr(int e, long v) {
        if (e >= NPMP || pmpLocked(e)) return;
        if (e + 1 < NPMP && pmpLocked(e + 1) && ((pmpcfg[e + 1] >> 3) & 3) == 1) return;
        pmpaddr[e] = rv64 ? v & 0x003f_ffff_ffff_ffffL : v & 0xffffffffL;
        hart.mmu.flushTlb();
    }
}
