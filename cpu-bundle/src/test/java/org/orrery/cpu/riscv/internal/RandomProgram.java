package org.orrery.cpu.riscv.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.orrery.cpu.riscv.testing.TestMachine;

/**
 * Random but mostly valid RV64GC programs for differential testing: integer, M, A, F/D, CSR and compressed
 * instructions; loads and stores (aligned and not) around a data area; branches and jumps to random
 * instructions of two code pages (so loops and page crossings happen); ecall, ebreak and illegal
 * instructions that a handler steps over; stores that rewrite the code itself.
 *
 * <p>Registers: x2 and x3 point into the data area and are never written; x30 and x31 belong to the trap
 * handler; x1 is the link register of the computed jumps; x28 holds the instruction that stores into the
 * code write (a valid ALU instruction, so rewritten code stays code); x29 counts the iterations of backward branches,
 * so loops end. Control flow is otherwise forward, and the last instruction jumps back to the first, which
 * resets the loop counter: the program runs through ever new paths.
 */
public final class RandomProgram {
    public static final long HANDLER = TestMachine.RAM_BASE + 0x100;
    public static final long CODE = TestMachine.RAM_BASE + 0x10000, CODE_SIZE = 0x2000;
    public static final long DATA = TestMachine.RAM_BASE + 0x40000, DATA_SIZE = 0x4000;

    private final Random rnd;
    /** One entry per instruction: its encoding, or a branch/jump to be resolved to a target instruction. */
    private final List<long[]> insns = new ArrayList<>(); // {kind, word, target index}
    private static final int PLAIN = 0, BRANCH = 1, JAL = 2, JALR_SEQ = 3, CODE_STORE = 4, COUNTED_LOOP = 5;

    private RandomProgram(long seed) { this.rnd = new Random(seed); }

    /** Writes a random program, the trap handler and initial registers into the machine. */
    public static void load(TestMachine m, long seed) {
        new RandomProgram(seed).generateInto(m);
    }

    private int reg() { return 4 + rnd.nextInt(24); } // x4..x27
    private int anyReg() { return rnd.nextInt(4) == 0 ? rnd.nextInt(32) : reg(); }
    private int base() { return rnd.nextBoolean() ? 2 : 3; }

    private static int r(int f7, int rs2, int rs1, int f3, int rd, int opc) { return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc; }
    private static int i(int imm, int rs1, int f3, int rd, int opc) { return (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc; }
    private static int s(int imm, int rs2, int rs1, int f3, int opc) { return ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 31) << 7 | opc; }

    private void plain(int w) { insns.add(new long[] {PLAIN, w & 0xffffffffL, -1}); }
    private void half(int h) { insns.add(new long[] {PLAIN, h & 0xffff | 0x1_0000_0000L, -1}); } // marked 16-bit

    private void generateInto(TestMachine m) {
        int n = 1400 + rnd.nextInt(300);
        plain(i(40, 0, 0, 29, 0x13)); // addi x29, x0, 40: the loop budget of one pass
        while (insns.size() < n) one();
        insns.add(new long[] {JAL, 0, 0}); // back to the start
        // lay out: 2- and 4-byte instructions; code-rewriting sequences need their own size known
        long[] addr = new long[insns.size()];
        long a = CODE;
        for (int k = 0; k < insns.size(); k++) {
            addr[k] = a;
            long[] in = insns.get(k);
            a += in[0] == JALR_SEQ ? 12 : in[0] == CODE_STORE || in[0] == COUNTED_LOOP ? 8 : (in[1] >>> 32) != 0 ? 2 : 4;
        }
        if (a > CODE + CODE_SIZE) throw new IllegalStateException("program too long: " + (a - CODE));
        for (int k = 0; k < insns.size(); k++) {
            long[] in = insns.get(k);
            long at = addr[k];
            int target = (int) (in[2] % insns.size());
            if (in[0] == BRANCH && Math.abs(addr[target] - at) >= 4096) target = k + 1;
            switch ((int) in[0]) {
                case PLAIN -> {
                    if ((in[1] >>> 32) != 0) m.bus.write(at, 2, in[1] & 0xffff); else m.bus.write(at, 4, in[1]);
                }
                case BRANCH -> m.bus.write(at, 4, branch((int) in[1], addr[target] - at));
                case JAL -> m.bus.write(at, 4, jal((int) in[1], addr[target] - at));
                case COUNTED_LOOP -> { // addi x29, x29, -1; blt x0, x29, back (one unit: nothing jumps between them)
                    m.bus.write(at, 4, i(-1, 29, 0, 29, 0x13) & 0xffffffffL);
                    long off = addr[target] - (at + 4);
                    m.bus.write(at + 4, 4, Math.abs(off) < 4096 ? branch(4 | 29 << 16, off) : 0x00000013);
                }
                case JALR_SEQ -> { // auipc x1, hi; addi x1, x1, lo; jalr rd, 0(x1)
                    int off = (int) (addr[target] - at), hi = (off + 0x800) >> 12;
                    m.bus.write(at, 4, (hi << 12 | 1 << 7 | 0x17) & 0xffffffffL);
                    m.bus.write(at + 4, 4, i(off - (hi << 12), 1, 0, 1, 0x13) & 0xffffffffL);
                    m.bus.write(at + 8, 4, i(0, 1, 0, (int) in[1], 0x67) & 0xffffffffL);
                }
                case CODE_STORE -> { // auipc x1, hi; sw x28, lo(x1) over an instruction of the program
                    int off = (int) (addr[target] - at), hi = (off + 0x800) >> 12;
                    m.bus.write(at, 4, (hi << 12 | 1 << 7 | 0x17) & 0xffffffffL);
                    m.bus.write(at + 4, 4, s(off - (hi << 12), 28, 1, 2, 0x23) & 0xffffffffL);
                }
                default -> throw new IllegalStateException();
            }
        }
        writeHandler(m);
        var d = m.hart.debug();
        for (int reg = 1; reg < 32; reg++) d.setGpr(reg, rnd.nextInt(3) == 0 ? rnd.nextInt(64) - 32 : rnd.nextLong());
        d.setGpr(2, DATA + 0x1000);
        d.setGpr(3, DATA + 0x2000);
        d.setGpr(28, r(rnd.nextBoolean() ? 0 : 0x20, reg(), reg(), rnd.nextBoolean() ? 0 : 5, reg(), 0x33) & 0xffffffffL);
        for (int reg = 0; reg < 32; reg++) d.setFpr(reg, rnd.nextBoolean() ? Double.doubleToRawLongBits(rnd.nextGaussian() * 1e3)
                : 0xffffffff00000000L | Float.floatToRawIntBits((float) rnd.nextGaussian()));
        for (long p = DATA; p < DATA + DATA_SIZE; p += 8) m.bus.write(p, 8, rnd.nextLong());
        d.setCsr(0x305, HANDLER);                 // mtvec
        d.setCsr(0x300, 3L << 13 | 3L << 11);     // mstatus: FS dirty, MPP=M
        d.setPc(CODE);
    }

    /** Steps over the trapping instruction (2 or 4 bytes) and returns; uses only x30 and x31. */
    private static void writeHandler(TestMachine m) {
        m.poke32(HANDLER,
            0x34102ff3,  // csrr x31, mepc
            0x000fdf03,  // lhu x30, 0(x31)
            0x003f7f13,  // andi x30, x30, 3
            0x002f8f93,  // addi x31, x31, 2
            0xffdf0f13,  // addi x30, x30, -3
            0x000f1463,  // bnez x30, +8
            0x002f8f93,  // addi x31, x31, 2
            0x341f9073,  // csrw mepc, x31
            0x30200073); // mret
    }

    /** A forward target instruction index, mostly near (branches reach +-4 KiB; the layout clamps it). */
    private int target() {
        return insns.size() + 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(1000) : rnd.nextInt(40));
    }

    private void one() {
        int k = rnd.nextInt(100);
        int rd = reg(), rs1 = anyReg(), rs2 = anyReg();
        if (k < 22) { // R-type ALU and M
            int[][] ops = {{0, 0, 0x33}, {0x20, 0, 0x33}, {0, 1, 0x33}, {0, 2, 0x33}, {0, 3, 0x33}, {0, 4, 0x33}, {0, 5, 0x33},
                {0x20, 5, 0x33}, {0, 6, 0x33}, {0, 7, 0x33}, {0, 0, 0x3b}, {0x20, 0, 0x3b}, {0, 1, 0x3b}, {0, 5, 0x3b}, {0x20, 5, 0x3b},
                {1, 0, 0x33}, {1, 1, 0x33}, {1, 2, 0x33}, {1, 3, 0x33}, {1, 4, 0x33}, {1, 5, 0x33}, {1, 6, 0x33}, {1, 7, 0x33},
                {1, 0, 0x3b}, {1, 4, 0x3b}, {1, 5, 0x3b}, {1, 6, 0x3b}, {1, 7, 0x3b}};
            int[] o = ops[rnd.nextInt(ops.length)];
            plain(r(o[0], rs2, rs1, o[1], rd, o[2]));
        } else if (k < 38) { // I-type ALU, lui, auipc
            int imm = rnd.nextInt(4096) - 2048;
            int sh6 = rnd.nextInt(64), sh5 = rnd.nextInt(32);
            switch (rnd.nextInt(15)) {
                case 0 -> plain(i(imm, rs1, 0, rd, 0x13));             // addi
                case 1 -> plain(i(imm, rs1, 2, rd, 0x13));             // slti
                case 2 -> plain(i(imm, rs1, 3, rd, 0x13));             // sltiu
                case 3 -> plain(i(imm, rs1, 4, rd, 0x13));             // xori
                case 4 -> plain(i(imm, rs1, 6, rd, 0x13));             // ori
                case 5 -> plain(i(imm, rs1, 7, rd, 0x13));             // andi
                case 6 -> plain(i(sh6, rs1, 1, rd, 0x13));             // slli
                case 7 -> plain(i(sh6, rs1, 5, rd, 0x13));             // srli
                case 8 -> plain(i(sh6 | 0x400, rs1, 5, rd, 0x13));     // srai
                case 9 -> plain(i(imm, rs1, 0, rd, 0x1b));             // addiw
                case 10 -> plain(i(sh5, rs1, 1, rd, 0x1b));            // slliw
                case 11 -> plain(i(sh5, rs1, 5, rd, 0x1b));            // srliw
                case 12 -> plain(i(sh5 | 0x400, rs1, 5, rd, 0x1b));    // sraiw
                case 13 -> plain(rnd.nextInt() & 0xfffff000 | rd << 7 | 0x37); // lui
                default -> plain(rnd.nextInt() & 0xfffff000 | rd << 7 | 0x17); // auipc
            }
        } else if (k < 50) { // loads and stores around the data pointers
            int off = rnd.nextInt(4) == 0 ? rnd.nextInt(4096) - 2048 : (rnd.nextInt(64) - 32) * 8 + (rnd.nextInt(8) == 0 ? rnd.nextInt(8) : 0);
            if (rnd.nextBoolean()) plain(i(off, base(), new int[] {0, 1, 2, 3, 4, 5, 6}[rnd.nextInt(7)], rd, 0x03));
            else plain(s(off, anyReg(), base(), rnd.nextInt(4), 0x23));
        } else if (k < 57) { // forward branches
            insns.add(new long[] {BRANCH, new int[] {0, 1, 4, 5, 6, 7}[rnd.nextInt(6)] | rs1 << 8 | rs2 << 16, target()});
        } else if (k < 60) { // a counted loop back
            insns.add(new long[] {COUNTED_LOOP, 0, Math.max(1, insns.size() - 1 - rnd.nextInt(60))});
        } else if (k < 64) {
            insns.add(new long[] {JAL, rnd.nextBoolean() ? 0 : (rnd.nextBoolean() ? 1 : reg()), target()});
        } else if (k < 67) {
            insns.add(new long[] {JALR_SEQ, rnd.nextBoolean() ? 0 : 1, target()});
        } else if (k < 74) { // compressed
            int cr = 8 + rnd.nextInt(8), cs = 8 + rnd.nextInt(8);
            int nz = reg(); // c.* with rd != 0, avoiding x2/x3 and x29-x31
            int imm6 = rnd.nextInt(64);
            switch (rnd.nextInt(8)) {
                case 0 -> half(0x0001 | (imm6 >> 5) << 12 | nz << 7 | (imm6 & 31) << 2);            // c.addi
                case 1 -> half(0x4001 | (imm6 >> 5) << 12 | nz << 7 | (imm6 & 31) << 2);            // c.li
                case 2 -> half(0x8002 | nz << 7 | (1 + rnd.nextInt(31)) << 2);                       // c.mv
                case 3 -> half(0x9002 | nz << 7 | (1 + rnd.nextInt(31)) << 2);                       // c.add
                case 4 -> half(0x0002 | (imm6 >> 5) << 12 | nz << 7 | (imm6 & 31) << 2);            // c.slli
                case 5 -> half(0x8801 | (imm6 >> 5) << 12 | (cr - 8) << 7 | (imm6 & 31) << 2);      // c.andi
                case 6 -> half(0x8c01 | (cr - 8) << 7 | rnd.nextInt(4) << 5 | (cs - 8) << 2);       // c.sub/xor/or/and
                default -> half(0x9c01 | (cr - 8) << 7 | rnd.nextInt(2) << 5 | (cs - 8) << 2);      // c.subw/addw
            }
        } else if (k < 84) { // floating point
            int frd = rnd.nextInt(32), f1 = rnd.nextInt(32), f2 = rnd.nextInt(32), f3 = rnd.nextInt(32);
            int rm = rnd.nextInt(8) == 0 ? 7 : rnd.nextInt(5), fmt = rnd.nextInt(2);
            switch (rnd.nextInt(10)) {
                case 0 -> plain(i((rnd.nextInt(64) - 32) * 8, base(), fmt == 1 ? 3 : 2, frd, 0x07));
                case 1 -> plain(s((rnd.nextInt(64) - 32) * 8, f1, base(), fmt == 1 ? 3 : 2, 0x27));
                case 2 -> plain(r(new int[] {0, 1, 2, 3}[rnd.nextInt(4)] << 2 | fmt, f2, f1, rm, frd, 0x53)); // add sub mul div
                case 3 -> plain(f3 << 27 | fmt << 25 | f2 << 20 | f1 << 15 | rm << 12 | frd << 7 | new int[] {0x43, 0x47, 0x4b, 0x4f}[rnd.nextInt(4)]);
                case 4 -> plain(r(0x14 << 2 | fmt, f2, f1, rnd.nextInt(3), rd, 0x53));          // feq flt fle
                case 5 -> plain(r(0x18 << 2 | fmt, rnd.nextInt(4), f1, rm, rd, 0x53));          // fcvt.w/wu/l/lu
                case 6 -> plain(r(0x1a << 2 | fmt, rnd.nextInt(4), rs1, rm, frd, 0x53));        // fcvt from int
                case 7 -> plain(r(0x1c << 2 | fmt, 0, f1, rnd.nextInt(2), rd, 0x53));           // fmv.x / fclass
                case 8 -> plain(r(0x05 << 2 | fmt, f2, f1, rnd.nextInt(2), frd, 0x53));         // fmin fmax
                default -> plain(r(0x0b << 2 | fmt, 0, f1, rm, frd, 0x53));                      // fsqrt
            }
        } else if (k < 89) { // atomics on the data pointers
            int[] f5 = {0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c};
            int f = f5[rnd.nextInt(f5.length)];
            plain(f << 27 | (f == 0x02 ? 0 : rs2) << 20 | base() << 15 | (rnd.nextBoolean() ? 3 : 2) << 12 | rd << 7 | 0x2f);
        } else if (k < 93) { // CSRs
            int[] csrs = {0xc00, 0xc02, 0xc01, 0x340, 0x001, 0x002, 0x003};
            int csr = csrs[rnd.nextInt(csrs.length)];
            plain(csr << 20 | (rnd.nextInt(3) == 0 ? rnd.nextInt(8) : 0) << 15 | (rnd.nextBoolean() ? 2 : 6) << 12 | rd << 7 | 0x73);
        } else if (k < 95) {
            plain(new int[] {0x00000073, 0x00100073, 0x00000000, 0xffffffff}[rnd.nextInt(4)]); // ecall ebreak illegal
        } else if (k < 96) {
            plain(new int[] {0x0000100f, 0x0ff0000f, 0x0ff0000f, 0x0100000f}[rnd.nextInt(4)]); // fence.i, fence, pause
        } else {
            insns.add(new long[] {CODE_STORE, 28, target()});
        }
    }

    private static long branch(int spec, long off) {
        int f3 = spec & 7, rs1 = (spec >> 8) & 31, rs2 = (spec >> 16) & 31;
        int imm = (int) off;
        return ((imm >> 12) & 1) << 31 | ((imm >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | ((imm >> 1) & 0xf) << 8
                | ((imm >> 11) & 1) << 7 | 0x63;
    }

    private static long jal(int rd, long off) {
        int imm = (int) off;
        return (((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3ff) << 21 | ((imm >> 11) & 1) << 20 | ((imm >> 12) & 0xff) << 12
                | rd << 7 | 0x6f) & 0xffffffffL;
    }
}
