package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.C_ILLEGAL;

import org.orrery.machine.memory.AddressSpace;

/**
 * The F and D extensions as the engines execute them: loads and stores of FP registers, and every other
 * FP operation through {@link Fpu}. Raises illegal-instruction while mstatus.FS is off or for a reserved
 * dynamic rounding mode; marks FS dirty when it changes FP state.
 */
final class FloatingPoint {
    private final RiscvHart h;

    FloatingPoint(RiscvHart h) { this.h = h; }

    private static int unboxS(long v) { return (v >>> 32) == 0xffffffffL ? (int) v : Fpu.CANON_S; }
    private static long boxS(int v) { return 0xffffffff00000000L | (v & 0xffffffffL); }

    void execute(int w, int imm, long pc) {
        long[] x = h.x, f = h.f;
        CsrFile csr = h.csr;
        if (csr.fsOff()) { h.raise(C_ILLEGAL, h.mmu.rawInstruction(pc)); return; }
        int op = w & 0xff, rd = Op.rd(w), rs1 = Op.rs1(w), rs2 = Op.rs2(w);
        switch (op) {
            case Op.FLW, Op.FLD -> {
                int size = op == Op.FLW ? 4 : 8;
                long a = (x[rs1] + imm) & h.amask;
                long v = loadSlowOrFast(a, size);
                if (h.trapped) return;
                f[rd] = size == 4 ? boxS((int) v) : v;
                csr.fsDirty();
                return;
            }
            case Op.FSW, Op.FSD -> {
                int size = op == Op.FSW ? 4 : 8;
                long a = (x[rs1] + imm) & h.amask;
                storeFastOrSlow(a, size, f[rs2]);
                return;
            }
            default -> { }
        }
        int sub = imm >>> 8;
        boolean dbl = (imm & 8) != 0;
        int rm = imm & 7;
        if (rm == 7) {
            rm = csr.frm;
            if (rm > 4) { h.raise(C_ILLEGAL, h.mmu.rawInstruction(pc)); return; }
        }
        Fpu u = h.fpu;
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
                default -> { h.raise(C_ILLEGAL, h.mmu.rawInstruction(pc)); return; }
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
                default -> { h.raise(C_ILLEGAL, h.mmu.rawInstruction(pc)); return; }
            }
        }
        if (u.flags != before || sub < Op.F_CVT_W || sub >= Op.F_CVT_FROM_W) csr.fsDirty();
    }

    private long loadSlowOrFast(long a, int size) {
        Mmu m = h.mmu;
        int i = m.dataIndex(a);
        if (m.rTlb[i] == (a & (~0xfffL | (size - 1)))) return AddressSpace.load(Mmu.HOST, m.rTlb[i + 1] + a, size);
        return m.loadSlow(a, size);
    }

    private void storeFastOrSlow(long a, int size, long v) {
        Mmu m = h.mmu;
        int i = m.dataIndex(a);
        if (m.wTlb[i] == (a & (~0xfffL | (size - 1)))) AddressSpace.store(Mmu.HOST, m.wTlb[i + 1] + a, size, v);
        else m.storeSlow(a, size, v);
    }
}
