package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;
import static org.orrery.cpu.riscv.internal.Mmu.*;

/**
 * The reference engine: a loop over instructions decoded once per physical page, with the TLB hit of every
 * load and store inlined. It runs all code when it is the only engine, and cold code, system instructions
 * and debugging under the translator.
 */
final class Interpreter {
    private final RiscvHart h;
    private final Mmu mmu;
    private final FloatingPoint fp;
    private final Atomics atomics;
    /** What the instruction did to control flow, for the translator's block-start check. */
    private static final int NO_JUMP = 0, FORWARD = 1, BACKWARD = 2;

    Interpreter(RiscvHart h) {
        this.h = h;
        this.mmu = h.mmu;
        this.fp = h.fp;
        this.atomics = h.atomics;
    }

    /**
     * Runs up to {@code max} instructions (fewer when a trap, an interrupt-relevant change or a debug event
     * needs the run loop). With a {@code translator}, every control transfer is a block start it is told of,
     * and the stretch ends where the translator wants to take over (translated code, another page, a block
     * that just got hot). Returns the instructions attempted, traps included; adds the retired ones to the
     * hart's count.
     */
    long execute(long max, Translator translator) {
        final RiscvHart h = this.h;
        final Mmu mmu = this.mmu;
        final long[] x = h.x;
        final long amask = h.amask, ialignMask = h.ialignMask;
        final int xshift = h.xshift;
        long pc = h.pc;
        long n = 0;
        long traps = 0;
        long fvp = -1;
        DecodedPage page = null;
        long[] ops = null;
        while (n < max) {
            n++;
            boolean trapping = false;
            int jump = NO_JUMP;
            if ((pc & M1) != fvp) {
                page = mmu.fetchPage(pc);
                if (page == null) { pc = h.takeTrap(pc); traps++; max = n; continue; }
                fvp = pc & M1;
                ops = page.ops;
            }
            int idx = (int) (pc >>> 1) & 2047;
            long d = ops[idx];
            if ((int) d == 0) {
                d = mmu.decodeAt(page, idx, pc);
                if (h.trapped) { pc = h.takeTrap(pc); traps++; max = n; fvp = -1; continue; }
            }
            int w = (int) d, imm = (int) (d >> 32);
            long npc = pc + 2 + ((w >>> 28) & 2);
            int rd = (w >>> 8) & 63, rs1 = (w >>> 14) & 31, rs2 = (w >>> 19) & 31;
            switch (w & 0xff) {
                case Op.NOP -> pc = npc;
                case Op.FENCE -> { // other harts' memory order; PAUSE lets the harts it waits for run
                    if (imm == 1) Thread.yield();
                    else java.lang.invoke.VarHandle.fullFence();
                    pc = npc;
                }
                case Op.LUI -> { x[rd] = imm; pc = npc; }
                case Op.AUIPC -> { x[rd] = (pc + imm) << xshift >> xshift; pc = npc; }
                case Op.JAL -> {
                    long t = (pc + imm) & amask;
                    if ((t & ialignMask) != 0) { h.raise(C_IMISALIGN, t); trapping = true; break; }
                    x[rd] = npc << xshift >> xshift;
                    pc = t;
                    jump = imm <= 0 ? BACKWARD : FORWARD;
                }
                case Op.JALR -> {
                    long t = (x[rs1] + imm) & ~1L & amask;
                    if ((t & ialignMask) != 0) { h.raise(C_IMISALIGN, t); trapping = true; break; }
                    x[rd] = npc << xshift >> xshift;
                    pc = t;
                    jump = FORWARD;
                }
                case Op.BEQ -> { boolean taken = x[rs1] == x[rs2]; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.BNE -> { boolean taken = x[rs1] != x[rs2]; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.BLT -> { boolean taken = x[rs1] < x[rs2]; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.BGE -> { boolean taken = x[rs1] >= x[rs2]; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.BLTU -> { boolean taken = Long.compareUnsigned(x[rs1], x[rs2]) < 0; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.BGEU -> { boolean taken = Long.compareUnsigned(x[rs1], x[rs2]) >= 0; pc = taken ? (pc + imm) & amask : npc; jump = taken && imm <= 0 ? BACKWARD : FORWARD; }
                case Op.LB, Op.LBU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    long v;
                    if (mmu.rTlb[i] == (a & M1)) v = HostMemory.get8(mmu.rTlb[i + 1] + a);
                    else { v = mmu.loadSlow(a, 1); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LB ? (byte) v : v & 0xff;
                    pc = npc;
                }
                case Op.LH, Op.LHU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    long v;
                    if (mmu.rTlb[i] == (a & M2)) v = HostMemory.get16(mmu.rTlb[i + 1] + a);
                    else { v = mmu.loadSlow(a, 2); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LH ? (short) v : v & 0xffff;
                    pc = npc;
                }
                case Op.LW, Op.LWU -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    long v;
                    if (mmu.rTlb[i] == (a & M4)) v = HostMemory.get32(mmu.rTlb[i + 1] + a);
                    else { v = mmu.loadSlow(a, 4); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    x[rd] = (w & 0xff) == Op.LW ? (int) v : v & 0xffffffffL;
                    pc = npc;
                }
                case Op.LD -> {
                    long a = x[rs1] + imm;
                    int i = mmu.dataIndex(a);
                    long v;
                    if (mmu.rTlb[i] == (a & M8)) v = HostMemory.get64(mmu.rTlb[i + 1] + a);
                    else { v = mmu.loadSlow(a, 8); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    x[rd] = v;
                    pc = npc;
                }
                case Op.SB -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    if (mmu.wTlb[i] == (a & M1)) HostMemory.put8(mmu.wTlb[i + 1] + a, (byte) x[rs2]);
                    else { mmu.storeSlow(a, 1, x[rs2]); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    pc = npc;
                }
                case Op.SH -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    if (mmu.wTlb[i] == (a & M2)) HostMemory.put16(mmu.wTlb[i + 1] + a, (short) x[rs2]);
                    else { mmu.storeSlow(a, 2, x[rs2]); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    pc = npc;
                }
                case Op.SW -> {
                    long a = (x[rs1] + imm) & amask;
                    int i = mmu.dataIndex(a);
                    if (mmu.wTlb[i] == (a & M4)) HostMemory.put32(mmu.wTlb[i + 1] + a, (int) x[rs2]);
                    else { mmu.storeSlow(a, 4, x[rs2]); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
                    pc = npc;
                }
                case Op.SD -> {
                    long a = x[rs1] + imm;
                    int i = mmu.dataIndex(a);
                    if (mmu.wTlb[i] == (a & M8)) HostMemory.put64(mmu.wTlb[i + 1] + a, x[rs2]);
                    else { mmu.storeSlow(a, 8, x[rs2]); if (h.trapped) { trapping = true; break; } if (h.attention) max = n; }
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
                    atomics.execute(w, imm);
                    if (h.trapped) { trapping = true; break; }
                    if (h.attention) max = n;
                    pc = npc;
                }
                case Op.FLW, Op.FLD, Op.FSW, Op.FSD, Op.FP -> {
                    fp.execute(w, imm, pc);
                    if (h.trapped) { trapping = true; break; }
                    if (h.attention) max = n;
                    pc = npc;
                }
                default -> {
                    // system instructions, CSRs, illegal: may change privilege, translation or interrupts
                    h.pc = pc;
                    h.curRetired = h.retired + n - traps - 1;
                    long next = system(w, imm, pc, npc);
                    if (h.trapped) { trapping = true; break; }
                    pc = next;
                    fvp = -1;
                    if (h.attention || translator != null) max = n;
                }
            }
            // one exit for every trap and one block-start check for every jump, after the switch rather than
            // in each case: fewer call sites make the C2 compile of this method, which a boot waits for, cheaper
            if (trapping) {
                pc = h.takeTrap(pc);
                traps++;
                max = n;
            } else if (jump != NO_JUMP && translator != null && translator.blockStart(page, fvp, pc, jump == BACKWARD)) {
                max = n;
            }
        }
        h.pc = pc;
        h.retired += n - traps;
        return n;
    }


    static long mulDiv(int op, long a, long b) {
        switch (op) {
            case Op.MULH: return Math.multiplyHigh(a, b);
            case Op.MULHU: return Math.unsignedMultiplyHigh(a, b);
            case Op.MULHSU: return mulhsu(a, b);
            case Op.DIV: return div(a, b);
            case Op.DIVU: return divu(a, b);
            case Op.REM: return rem(a, b);
            case Op.REMU: return remu(a, b);
            case Op.DIVW: return divw(a, b);
            case Op.DIVUW, Op.DIVU32: return divuw(a, b);
            case Op.REMW: return remw(a, b);
            case Op.REMUW, Op.REMU32: return remuw(a, b);
            case Op.MULH32: return mulh32(a, b);
            case Op.MULHU32: return mulhu32(a, b);
            case Op.MULHSU32: return mulhsu32(a, b);
            default: return 0;
        }
    }

    // One method per operation, small enough for C2 to inline where translated code calls them (mulDiv as a
    // whole is past C2's size limit for inlining, and a call in a translated loop makes it spill the guest
    // registers around it).
    static long mulhsu(long a, long b) { return Math.multiplyHigh(a, b) + (b < 0 ? a : 0); }
    static long div(long a, long b) { return b == 0 ? -1 : (a == Long.MIN_VALUE && b == -1) ? a : a / b; }
    static long divu(long a, long b) { return b == 0 ? -1 : Long.divideUnsigned(a, b); }
    static long rem(long a, long b) { return b == 0 ? a : (a == Long.MIN_VALUE && b == -1) ? 0 : a % b; }
    static long remu(long a, long b) { return b == 0 ? a : Long.remainderUnsigned(a, b); }
    static long divw(long a, long b) { int x = (int) a, y = (int) b; return y == 0 ? -1 : (x == Integer.MIN_VALUE && y == -1) ? x : x / y; }
    static long divuw(long a, long b) { int x = (int) a, y = (int) b; return y == 0 ? -1 : Integer.divideUnsigned(x, y); }
    static long remw(long a, long b) { int x = (int) a, y = (int) b; return y == 0 ? x : (x == Integer.MIN_VALUE && y == -1) ? 0 : x % y; }
    static long remuw(long a, long b) { int x = (int) a, y = (int) b; return y == 0 ? x : Integer.remainderUnsigned(x, y); }
    static long mulh32(long a, long b) { return (int) (((long) (int) a * (long) (int) b) >> 32); }
    static long mulhu32(long a, long b) { return (int) (((a & 0xffffffffL) * (b & 0xffffffffL)) >>> 32); }
    static long mulhsu32(long a, long b) { return (int) (((long) (int) a * (b & 0xffffffffL)) >> 32); }

    /** The method of mulDiv's operation op (other than MULH and MULHU). */
    static String mulDivMethod(int op) {
        return switch (op) {
            case Op.MULHSU -> "mulhsu";
            case Op.DIV -> "div";
            case Op.DIVU -> "divu";
            case Op.REM -> "rem";
            case Op.REMU -> "remu";
            case Op.DIVW -> "divw";
            case Op.DIVUW, Op.DIVU32 -> "divuw";
            case Op.REMW -> "remw";
            case Op.REMUW, Op.REMU32 -> "remuw";
            case Op.MULH32 -> "mulh32";
            case Op.MULHU32 -> "mulhu32";
            case Op.MULHSU32 -> "mulhsu32";
            default -> throw new IllegalArgumentException("not a division or high multiply: " + op);
        };
    }

    // ---- system instructions ----

    long system(int w, int imm, long pc, long npc) {
        final RiscvHart h = this.h;
        final CsrFile csr = h.csr;
        int op = w & 0xff;
        switch (op) {
            case Op.ILLEGAL: return h.illegal(pc);
            case Op.FENCE_I:
                h.fenceI();
                return npc;
            case Op.ECALL:
                h.raise(h.priv == 0 ? C_ECALL_U : h.priv == 1 ? C_ECALL_S : C_ECALL_M, 0);
                return pc;
            case Op.EBREAK:
                h.raise(C_BREAKPOINT, pc);
                return pc;
            case Op.MRET: {
                if (h.priv != 3) return h.illegal(pc);
                int mpp = (int) ((csr.mstatus >>> 11) & 3);
                long st = csr.mstatus;
                st = (st & ~MIE_B) | ((st & MPIE) != 0 ? MIE_B : 0);
                st |= MPIE;
                st &= ~MPP;
                if (!h.cfg.u()) st |= MPP;
                if (mpp != 3) st &= ~MPRV;
                csr.mstatus = st;
                h.setPriv(mpp);
                h.attention = true;
                h.resAddr = -1;
                return csr.mepc & h.amask;
            }
            case Op.SRET: {
                if (h.priv == 0 || (h.priv == 1 && (csr.mstatus & TSR) != 0) || !h.cfg.s()) return h.illegal(pc);
                int spp = (csr.mstatus & SPP) != 0 ? 1 : 0;
                long st = csr.mstatus;
                st = (st & ~SIE_B) | ((st & SPIE) != 0 ? SIE_B : 0);
                st |= SPIE;
                st &= ~SPP;
                st &= ~MPRV;
                csr.mstatus = st;
                h.setPriv(spp);
                h.attention = true;
                h.resAddr = -1;
                return csr.sepc & h.amask;
            }
            case Op.WFI: {
                if (h.priv == 0 || (h.priv == 1 && (csr.mstatus & TW) != 0)) return h.illegal(pc);
                if ((csr.mip() & csr.mie) == 0) h.waiting = true;
                else h.wfiCompletedAtOnce(pc);
                h.attention = true;
                return npc;
            }
            case Op.SFENCE_VMA:
                if (h.priv == 0 || (h.priv == 1 && (csr.mstatus & TVM) != 0)) return h.illegal(pc);
                h.mmu.flushTlb();
                return npc;
            case Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI:
                return csr.instruction(op, Op.rd(w), Op.rs1(w), imm & 0xfff, pc, npc);
            default:
                return h.illegal(pc);
        }
    }
}
