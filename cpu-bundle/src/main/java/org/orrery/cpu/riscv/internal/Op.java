package org.orrery.cpu.riscv.internal;

/**
 * Decoded operation numbers and the packed form of a decoded instruction:
 * bits 0-7 op, 8-13 rd (32 = integer sink for x0), 14-18 rs1, 19-23 rs2, 24-28 rs3, 29 set for 32-bit encodings.
 */
final class Op {
    private Op() { }

    static final int UNDECODED = 0, ILLEGAL = 1, NOP = 2,
        LUI = 3, AUIPC = 4, JAL = 5, JALR = 6,
        BEQ = 7, BNE = 8, BLT = 9, BGE = 10, BLTU = 11, BGEU = 12,
        LB = 13, LH = 14, LW = 15, LD = 16, LBU = 17, LHU = 18, LWU = 19,
        SB = 20, SH = 21, SW = 22, SD = 23,
        ADDI = 24, SLTI = 25, SLTIU = 26, XORI = 27, ORI = 28, ANDI = 29, SLLI = 30, SRLI = 31, SRAI = 32,
        ADD = 33, SUB = 34, SLL = 35, SLT = 36, SLTU = 37, XOR = 38, SRL = 39, SRA = 40, OR = 41, AND = 42,
        ADDIW = 43, SLLIW = 44, SRLIW = 45, SRAIW = 46, ADDW = 47, SUBW = 48, SLLW = 49, SRLW = 50, SRAW = 51,
        MUL = 52, MULH = 53, MULHSU = 54, MULHU = 55, DIV = 56, DIVU = 57, REM = 58, REMU = 59,
        MULW = 60, DIVW = 61, DIVUW = 62, REMW = 63, REMUW = 64,
        // RV32 variants of the high-multiply instructions
        MULH32 = 65, MULHSU32 = 66, MULHU32 = 67, DIVU32 = 68, REMU32 = 69,
        FENCE = 70, FENCE_I = 71, ECALL = 72, EBREAK = 73, MRET = 74, SRET = 75, WFI = 76, SFENCE_VMA = 77,
        CSRRW = 78, CSRRS = 79, CSRRC = 80, CSRRWI = 81, CSRRSI = 82, CSRRCI = 83,
        AMO_W = 84, AMO_D = 85,  // AMO function in imm (funct5), aq/rl ignored
        FLW = 86, FLD = 87, FSW = 88, FSD = 89,
        FP = 90;                // all other F/D operations: FP sub-op in imm bits 8.., rm in imm bits 0-2

    // FP sub-operations (imm >> 8)
    static final int F_MADD = 0, F_MSUB = 1, F_NMSUB = 2, F_NMADD = 3, F_ADD = 4, F_SUB = 5, F_MUL = 6, F_DIV = 7,
        F_SQRT = 8, F_SGNJ = 9, F_SGNJN = 10, F_SGNJX = 11, F_MIN = 12, F_MAX = 13, F_CVT_W = 14, F_CVT_WU = 15,
        F_CVT_L = 16, F_CVT_LU = 17, F_MV_X = 18, F_EQ = 19, F_LT = 20, F_LE = 21, F_CLASS = 22,
        F_CVT_FROM_W = 23, F_CVT_FROM_WU = 24, F_CVT_FROM_L = 25, F_CVT_FROM_LU = 26, F_MV_FROM_X = 27,
        F_CVT_S_D = 28, F_CVT_D_S = 29;

    // AMO functions (funct5)
    static final int AMOADD = 0x00, AMOSWAP = 0x01, LR = 0x02, SC = 0x03, AMOXOR = 0x04, AMOOR = 0x08,
        AMOAND = 0x0c, AMOMIN = 0x10, AMOMAX = 0x14, AMOMINU = 0x18, AMOMAXU = 0x1c;

    static int pack(int op, int rd, int rs1, int rs2, int rs3, boolean len32) {
        return op | rd << 8 | rs1 << 14 | rs2 << 19 | rs3 << 24 | (len32 ? 1 << 29 : 0);
    }

    /**
     * The mnemonics, for listings only (-d in_asm): built on first use, not in Op's initialiser, which the hart's
     * thread runs as the guest starts (reading ~150 fields reflectively makes a method handle for each).
     */
    private static final class Names {
        static final String[] NAMES = names();
    }

    private static String[] names() {
        String[] n = new String[256];
        for (java.lang.reflect.Field f : Op.class.getDeclaredFields()) {
            if (f.getType() != int.class || f.getName().startsWith("F_") || f.getName().length() < 2) continue;
            try {
                int v = f.getInt(null);
                if (v >= 0 && v < 256 && n[v] == null) n[v] = f.getName().toLowerCase(java.util.Locale.ROOT).replace('_', '.');
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return n;
    }

    /** The decoded instruction for logs, e.g. "addi rd=10 rs1=11 rs2=0 imm=4". */
    static String name(int w, int imm) {
        String n = Names.NAMES[w & 0xff];
        return (n == null ? "op" + (w & 0xff) : n) + " rd=" + rd(w) + " rs1=" + rs1(w) + " rs2=" + rs2(w) + " imm=" + imm;
    }

    static int op(int w) { return w & 0xff; }
    static int rd(int w) { return (w >>> 8) & 63; }
    static int rs1(int w) { return (w >>> 14) & 31; }
    static int rs2(int w) { return (w >>> 19) & 31; }
    static int rs3(int w) { return (w >>> 24) & 31; }
    static int len(int w) { return 2 + ((w >>> 28) & 2); }
}
