package org.orrery.shell.hmp.disasm;

/**
 * A RISC-V disassembler for RV64GC (I, M, A, F, D, C, Zicsr, Zifencei and the privileged instructions).
 * Mnemonics and operands follow the GNU assembler's conventions, pseudo-instructions included
 * ({@code li}, {@code mv}, {@code ret}, {@code csrr}, {@code beqz} ...); compressed instructions print as
 * the instruction they expand to. Branch and jump targets are given as a pc-relative offset in the
 * operands and as an absolute address in {@link Instruction#target()}.
 */
public final class RiscvDisassembler {
    /** One decoded instruction. {@code target} is the absolute branch/jump target, or null. */
    public record Instruction(int length, int bits, String mnemonic, String operands, Long target) {
        public String text() { return operands.isEmpty() ? mnemonic : mnemonic + " " + operands; }
    }

    private static final String[] X = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    private static final String[] F = {"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
            "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11",
            "ft8", "ft9", "ft10", "ft11"};
    private static final String[] RM = {"rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"};

    private final boolean aliases;

    /** With pseudo-instructions, as objdump prints by default. */
    public RiscvDisassembler() { this(true); }

    /** {@code aliases} false prints the base instructions only (objdump's -M no-aliases, but compressed forms expanded). */
    public RiscvDisassembler(boolean aliases) { this.aliases = aliases; }

    /** The length in bytes of the instruction whose low 16 bits are {@code low16}. */
    public static int length(int low16) { return (low16 & 3) == 3 ? 4 : 2; }

    /** Decodes the instruction at {@code pc}; {@code bits} holds 2 or 4 bytes (little-endian order already applied). */
    public Instruction decode(long pc, int bits) {
        if ((bits & 3) != 3) {
            int c = bits & 0xffff;
            Instruction i = decodeCompressed(pc, c);
            return i != null ? i : new Instruction(2, c, "illegal", "", null);
        }
        Instruction i = decode32(pc, bits);
        return i != null ? i : new Instruction(4, bits, "illegal", "", null);
    }

    // ---------------------------------------------------------------- helpers

    private static String x(int r) { return X[r & 31]; }
    private static String f(int r) { return F[r & 31]; }
    private static String hex(long v) { return "0x" + Long.toHexString(v); }
    private static int rd(int i) { return (i >>> 7) & 31; }
    private static int rs1(int i) { return (i >>> 15) & 31; }
    private static int rs2(int i) { return (i >>> 20) & 31; }
    private static int rs3(int i) { return (i >>> 27) & 31; }
    private static int funct3(int i) { return (i >>> 12) & 7; }
    private static int funct7(int i) { return i >>> 25; }
    private static int immI(int i) { return i >> 20; }
    private static int immS(int i) { return ((i >> 25) << 5) | ((i >>> 7) & 31); }
    private static int immB(int i) {
        return ((i >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 63) << 5) | (((i >>> 8) & 15) << 1);
    }
    private static int immJ(int i) {
        return ((i >> 31) << 20) | (((i >>> 12) & 255) << 12) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 1023) << 1);
    }

    private Instruction ins(int len, int bits, String m, String ops) { return new Instruction(len, bits, m, ops, null); }

    private Instruction branch(int len, int bits, String m, String ops, long pc, long off) {
        String o = ops.isEmpty() ? Long.toString(off) : ops + "," + off;
        return new Instruction(len, bits, m, o, pc + off);
    }

    // ---------------------------------------------------------------- 32-bit

    private Instruction decode32(long pc, int i) {
        int op = i & 0x7f;
        int rd = rd(i), rs1 = rs1(i), rs2 = rs2(i), f3 = funct3(i), f7 = funct7(i);
        switch (op) {
            case 0x37: return ins(4, i, "lui", x(rd) + "," + hex((i >>> 12) & 0xfffff));
            case 0x17: return ins(4, i, "auipc", x(rd) + "," + hex((i >>> 12) & 0xfffff));
            case 0x6f: return jal(4, i, pc, rd, immJ(i));
            case 0x67:
                if (f3 != 0) return null;
                return jalr(4, i, rd, rs1, immI(i));
            case 0x63: {
                String[] names = {"beq", "bne", null, null, "blt", "bge", "bltu", "bgeu"};
                String m = names[f3];
                if (m == null) return null;
                return cbranch(4, i, pc, m, rs1, rs2, immB(i));
            }
            case 0x03: {
                String[] names = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", null};
                if (names[f3] == null) return null;
                return ins(4, i, names[f3], x(rd) + "," + immI(i) + "(" + x(rs1) + ")");
            }
            case 0x23: {
                String[] names = {"sb", "sh", "sw", "sd", null, null, null, null};
                if (names[f3] == null) return null;
                return ins(4, i, names[f3], x(rs2) + "," + immS(i) + "(" + x(rs1) + ")");
            }
            case 0x13: return opImm(i, rd, rs1, f3, immI(i));
            case 0x1b: return opImm32(i, rd, rs1, f3, immI(i));
            case 0x33: return op(i, rd, rs1, rs2, f3, f7);
            case 0x3b: return op32(i, rd, rs1, rs2, f3, f7);
            case 0x0f:
                if (f3 == 1) return ins(4, i, "fence.i", "");
                if (f3 != 0) return null;
                return fence(i);
            case 0x73: return system(i, rd, rs1, f3);
            case 0x2f: return amo(i, rd, rs1, rs2, f3);
            case 0x07: {
                String m = f3 == 2 ? "flw" : f3 == 3 ? "fld" : null;
                if (m == null) return null;
                return ins(4, i, m, f(rd) + "," + immI(i) + "(" + x(rs1) + ")");
            }
            case 0x27: {
                String m = f3 == 2 ? "fsw" : f3 == 3 ? "fsd" : null;
                if (m == null) return null;
                return ins(4, i, m, f(rs2) + "," + immS(i) + "(" + x(rs1) + ")");
            }
            case 0x43: case 0x47: case 0x4b: case 0x4f: {
                int fmt = (i >>> 25) & 3;
                if (fmt > 1) return null;
                String base = switch (op) { case 0x43 -> "fmadd"; case 0x47 -> "fmsub"; case 0x4b -> "fnmsub"; default -> "fnmadd"; };
                return ins(4, i, base + (fmt == 0 ? ".s" : ".d"), f(rd) + "," + f(rs1) + "," + f(rs2) + "," + f(rs3(i)) + rm(f3));
            }
            case 0x53: return fp(i, rd, rs1, rs2, f3, f7);
            default: return null;
        }
    }

    private static String rm(int f3) { return f3 == 7 ? "" : "," + RM[f3]; }

    private Instruction jal(int len, int bits, long pc, int rd, long off) {
        if (aliases && rd == 0) return branch(len, bits, "j", "", pc, off);
        if (aliases && rd == 1) return branch(len, bits, "jal", "", pc, off);
        return branch(len, bits, "jal", x(rd), pc, off);
    }

    private Instruction jalr(int len, int bits, int rd, int rs1, int imm) {
        if (aliases) {
            if (rd == 0 && rs1 == 1 && imm == 0) return ins(len, bits, "ret", "");
            if (rd == 0) return ins(len, bits, "jr", imm == 0 ? x(rs1) : imm + "(" + x(rs1) + ")");
            if (rd == 1) return ins(len, bits, "jalr", imm == 0 ? x(rs1) : imm + "(" + x(rs1) + ")");
        }
        return ins(len, bits, "jalr", x(rd) + "," + imm + "(" + x(rs1) + ")");
    }

    private Instruction cbranch(int len, int bits, long pc, String m, int rs1, int rs2, long off) {
        if (aliases) {
            if (rs2 == 0) {
                switch (m) {
                    case "beq": return branch(len, bits, "beqz", x(rs1), pc, off);
                    case "bne": return branch(len, bits, "bnez", x(rs1), pc, off);
                    case "blt": return branch(len, bits, "bltz", x(rs1), pc, off);
                    case "bge": return branch(len, bits, "bgez", x(rs1), pc, off);
                    default: break;
                }
            }
            if (rs1 == 0) {
                if (m.equals("blt")) return branch(len, bits, "bgtz", x(rs2), pc, off);
                if (m.equals("bge")) return branch(len, bits, "blez", x(rs2), pc, off);
            }
        }
        return branch(len, bits, m, x(rs1) + "," + x(rs2), pc, off);
    }

    private Instruction opImm(int i, int rd, int rs1, int f3, int imm) {
        switch (f3) {
            case 0:
                if (aliases) {
                    if (rd == 0 && rs1 == 0 && imm == 0) return ins(4, i, "nop", "");
                    if (rs1 == 0) return ins(4, i, "li", x(rd) + "," + imm);
                    if (imm == 0) return ins(4, i, "mv", x(rd) + "," + x(rs1));
                }
                return ins(4, i, "addi", x(rd) + "," + x(rs1) + "," + imm);
            case 2: return ins(4, i, "slti", x(rd) + "," + x(rs1) + "," + imm);
            case 3:
                if (aliases && imm == 1) return ins(4, i, "seqz", x(rd) + "," + x(rs1));
                return ins(4, i, "sltiu", x(rd) + "," + x(rs1) + "," + imm);
            case 4:
                if (aliases && imm == -1) return ins(4, i, "not", x(rd) + "," + x(rs1));
                return ins(4, i, "xori", x(rd) + "," + x(rs1) + "," + imm);
            case 6: return ins(4, i, "ori", x(rd) + "," + x(rs1) + "," + imm);
            case 7: return ins(4, i, "andi", x(rd) + "," + x(rs1) + "," + imm);
            case 1:
                if ((imm >>> 6 & 0x3f) != 0) return null;
                return ins(4, i, "slli", x(rd) + "," + x(rs1) + "," + hex(imm & 63));
            case 5: {
                int hi = (imm >>> 6) & 0x3f;
                if (hi == 0) return ins(4, i, "srli", x(rd) + "," + x(rs1) + "," + hex(imm & 63));
                if (hi == 0x10) return ins(4, i, "srai", x(rd) + "," + x(rs1) + "," + hex(imm & 63));
                return null;
            }
            default: return null;
        }
    }

    private Instruction opImm32(int i, int rd, int rs1, int f3, int imm) {
        switch (f3) {
            case 0:
                if (aliases && imm == 0) return ins(4, i, "sext.w", x(rd) + "," + x(rs1));
                return ins(4, i, "addiw", x(rd) + "," + x(rs1) + "," + imm);
            case 1:
                if ((imm >>> 5 & 0x7f) != 0) return null;
                return ins(4, i, "slliw", x(rd) + "," + x(rs1) + "," + hex(imm & 31));
            case 5: {
                int hi = (imm >>> 5) & 0x7f;
                if (hi == 0) return ins(4, i, "srliw", x(rd) + "," + x(rs1) + "," + hex(imm & 31));
                if (hi == 0x20) return ins(4, i, "sraiw", x(rd) + "," + x(rs1) + "," + hex(imm & 31));
                return null;
            }
            default: return null;
        }
    }

    private Instruction op(int i, int rd, int rs1, int rs2, int f3, int f7) {
        String ops = x(rd) + "," + x(rs1) + "," + x(rs2);
        if (f7 == 1) {
            String[] m = {"mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"};
            return ins(4, i, m[f3], ops);
        }
        if (f7 == 0) {
            switch (f3) {
                case 0: return ins(4, i, "add", ops);
                case 1: return ins(4, i, "sll", ops);
                case 2:
                    if (aliases && rs2 == 0) return ins(4, i, "sltz", x(rd) + "," + x(rs1));
                    if (aliases && rs1 == 0) return ins(4, i, "sgtz", x(rd) + "," + x(rs2));
                    return ins(4, i, "slt", ops);
                case 3:
                    if (aliases && rs1 == 0) return ins(4, i, "snez", x(rd) + "," + x(rs2));
                    return ins(4, i, "sltu", ops);
                case 4: return ins(4, i, "xor", ops);
                case 5: return ins(4, i, "srl", ops);
                case 6: return ins(4, i, "or", ops);
                default: return ins(4, i, "and", ops);
            }
        }
        if (f7 == 0x20) {
            if (f3 == 0) {
                if (aliases && rs1 == 0) return ins(4, i, "neg", x(rd) + "," + x(rs2));
                return ins(4, i, "sub", ops);
            }
            if (f3 == 5) return ins(4, i, "sra", ops);
        }
        return null;
    }

    private Instruction op32(int i, int rd, int rs1, int rs2, int f3, int f7) {
        String ops = x(rd) + "," + x(rs1) + "," + x(rs2);
        if (f7 == 1) {
            String[] m = {"mulw", null, null, null, "divw", "divuw", "remw", "remuw"};
            return m[f3] == null ? null : ins(4, i, m[f3], ops);
        }
        if (f7 == 0) {
            if (f3 == 0) return ins(4, i, "addw", ops);
            if (f3 == 1) return ins(4, i, "sllw", ops);
            if (f3 == 5) return ins(4, i, "srlw", ops);
        }
        if (f7 == 0x20) {
            if (f3 == 0) {
                if (aliases && rs1 == 0) return ins(4, i, "negw", x(rd) + "," + x(rs2));
                return ins(4, i, "subw", ops);
            }
            if (f3 == 5) return ins(4, i, "sraw", ops);
        }
        return null;
    }

    private Instruction fence(int i) {
        int fm = (i >>> 28) & 15, pred = (i >>> 24) & 15, succ = (i >>> 20) & 15;
        if (fm == 8 && pred == 3 && succ == 3) return ins(4, i, "fence.tso", "");
        if (aliases && pred == 15 && succ == 15) return ins(4, i, "fence", "");
        return ins(4, i, "fence", iorw(pred) + "," + iorw(succ));
    }

    private static String iorw(int v) {
        StringBuilder b = new StringBuilder();
        if ((v & 8) != 0) b.append('i');
        if ((v & 4) != 0) b.append('o');
        if ((v & 2) != 0) b.append('r');
        if ((v & 1) != 0) b.append('w');
        return b.isEmpty() ? "0" : b.toString();
    }

    private Instruction system(int i, int rd, int rs1, int f3) {
        int csr = (i >>> 20) & 0xfff;
        if (f3 == 0) {
            if (rd != 0) return null;
            int f7 = funct7(i), rs2 = rs2(i);
            if (f7 == 0x09) {
                if (aliases && rs1 == 0 && rs2 == 0) return ins(4, i, "sfence.vma", "");
                if (aliases && rs2 == 0) return ins(4, i, "sfence.vma", x(rs1));
                return ins(4, i, "sfence.vma", x(rs1) + "," + x(rs2));
            }
            if (rs1 != 0) return null;
            return switch (csr) {
                case 0x000 -> ins(4, i, "ecall", "");
                case 0x001 -> ins(4, i, "ebreak", "");
                case 0x002 -> ins(4, i, "uret", "");
                case 0x102 -> ins(4, i, "sret", "");
                case 0x302 -> ins(4, i, "mret", "");
                case 0x7b2 -> ins(4, i, "dret", "");
                case 0x105 -> ins(4, i, "wfi", "");
                default -> null;
            };
        }
        if (f3 == 4) return null;
        String[] names = {null, "csrrw", "csrrs", "csrrc", null, "csrrwi", "csrrsi", "csrrci"};
        String name = CsrNames.name(csr);
        boolean imm = f3 >= 5;
        String src = imm ? Integer.toString(rs1) : x(rs1);
        if (aliases) {
            if (f3 == 2 && rs1 == 0) {
                switch (csr) {
                    case 0x003: return ins(4, i, "frcsr", x(rd));
                    case 0x002: return ins(4, i, "frrm", x(rd));
                    case 0x001: return ins(4, i, "frflags", x(rd));
                    case 0xc00: return ins(4, i, "rdcycle", x(rd));
                    case 0xc01: return ins(4, i, "rdtime", x(rd));
                    case 0xc02: return ins(4, i, "rdinstret", x(rd));
                    default: return ins(4, i, "csrr", x(rd) + "," + name);
                }
            }
            if (f3 == 1) {
                String fs = switch (csr) { case 0x003 -> "fscsr"; case 0x002 -> "fsrm"; case 0x001 -> "fsflags"; default -> null; };
                if (fs != null) return ins(4, i, fs, rd == 0 ? x(rs1) : x(rd) + "," + x(rs1));
            }
            if (f3 == 5) {
                String fs = switch (csr) { case 0x002 -> "fsrmi"; case 0x001 -> "fsflagsi"; default -> null; };
                if (fs != null) return ins(4, i, fs, rd == 0 ? src : x(rd) + "," + src);
            }
            if (rd == 0) {
                String m = switch (f3) { case 1 -> "csrw"; case 2 -> "csrs"; case 3 -> "csrc"; case 5 -> "csrwi"; case 6 -> "csrsi"; default -> "csrci"; };
                return ins(4, i, m, name + "," + src);
            }
        }
        return ins(4, i, names[f3], x(rd) + "," + name + "," + src);
    }

    private Instruction amo(int i, int rd, int rs1, int rs2, int f3) {
        if (f3 != 2 && f3 != 3) return null;
        String w = f3 == 2 ? ".w" : ".d";
        int f5 = i >>> 27;
        boolean aq = ((i >>> 26) & 1) != 0, rl = ((i >>> 25) & 1) != 0;
        String ord = aq && rl ? ".aqrl" : aq ? ".aq" : rl ? ".rl" : "";
        if (f5 == 2) {
            if (rs2 != 0) return null;
            return ins(4, i, "lr" + w + ord, x(rd) + ",(" + x(rs1) + ")");
        }
        String m = switch (f5) {
            case 3 -> "sc"; case 1 -> "amoswap"; case 0 -> "amoadd"; case 4 -> "amoxor"; case 0xc -> "amoand";
            case 8 -> "amoor"; case 0x10 -> "amomin"; case 0x14 -> "amomax"; case 0x18 -> "amominu"; case 0x1c -> "amomaxu";
            default -> null;
        };
        if (m == null) return null;
        return ins(4, i, m + w + ord, x(rd) + "," + x(rs2) + ",(" + x(rs1) + ")");
    }

    private Instruction fp(int i, int rd, int rs1, int rs2, int f3, int f7) {
        int fmt = f7 & 3;
        if (fmt > 1) return null;
        String s = fmt == 0 ? ".s" : ".d";
        String three = f(rd) + "," + f(rs1) + "," + f(rs2);
        switch (f7 >>> 2) {
            case 0x00: return ins(4, i, "fadd" + s, three + rm(f3));
            case 0x01: return ins(4, i, "fsub" + s, three + rm(f3));
            case 0x02: return ins(4, i, "fmul" + s, three + rm(f3));
            case 0x03: return ins(4, i, "fdiv" + s, three + rm(f3));
            case 0x0b:
                if (rs2 != 0) return null;
                return ins(4, i, "fsqrt" + s, f(rd) + "," + f(rs1) + rm(f3));
            case 0x04: {
                String[] m = {"fsgnj", "fsgnjn", "fsgnjx"};
                if (f3 > 2) return null;
                if (aliases && rs1 == rs2) {
                    String[] a = {"fmv", "fneg", "fabs"};
                    return ins(4, i, a[f3] + s, f(rd) + "," + f(rs1));
                }
                return ins(4, i, m[f3] + s, three);
            }
            case 0x05:
                if (f3 > 1) return null;
                return ins(4, i, (f3 == 0 ? "fmin" : "fmax") + s, three);
            case 0x08: {
                // fcvt.s.d (fmt 0, rs2 1) / fcvt.d.s (fmt 1, rs2 0)
                if (fmt == 0 && rs2 == 1) return ins(4, i, "fcvt.s.d", f(rd) + "," + f(rs1) + rm(f3));
                if (fmt == 1 && rs2 == 0) return ins(4, i, "fcvt.d.s", f(rd) + "," + f(rs1));
                return null;
            }
            case 0x14: {
                String[] m = {"fle", "flt", "feq"};
                if (f3 > 2) return null;
                return ins(4, i, m[f3] + s, x(rd) + "," + f(rs1) + "," + f(rs2));
            }
            case 0x18: {
                String[] t = {".w", ".wu", ".l", ".lu"};
                if (rs2 > 3) return null;
                return ins(4, i, "fcvt" + t[rs2] + s, x(rd) + "," + f(rs1) + rm(f3));
            }
            case 0x1a: {
                String[] t = {".w", ".wu", ".l", ".lu"};
                if (rs2 > 3) return null;
                boolean exact = fmt == 1 && rs2 < 2; // int32 to double needs no rounding: no rm operand
                return ins(4, i, "fcvt" + s + t[rs2], f(rd) + "," + x(rs1) + (exact ? "" : rm(f3)));
            }
            case 0x1c:
                if (rs2 != 0) return null;
                if (f3 == 0) return ins(4, i, fmt == 0 ? "fmv.x.w" : "fmv.x.d", x(rd) + "," + f(rs1));
                if (f3 == 1) return ins(4, i, "fclass" + s, x(rd) + "," + f(rs1));
                return null;
            case 0x1e:
                if (rs2 != 0 || f3 != 0) return null;
                return ins(4, i, fmt == 0 ? "fmv.w.x" : "fmv.d.x", f(rd) + "," + x(rs1));
            default: return null;
        }
    }

    // ---------------------------------------------------------------- compressed (RV64C)

    private static int bit(int v, int b) { return (v >>> b) & 1; }
    private static int bitsOf(int v, int hi, int lo) { return (v >>> lo) & ((1 << (hi - lo + 1)) - 1); }
    private static int sext(int v, int width) { return (v << (32 - width)) >> (32 - width); }

    private Instruction decodeCompressed(long pc, int c) {
        int quadrant = c & 3, f3 = c >>> 13;
        int rdp = 8 + bitsOf(c, 4, 2), rs1p = 8 + bitsOf(c, 9, 7);
        int rd = bitsOf(c, 11, 7), rs2 = bitsOf(c, 6, 2);
        switch (quadrant) {
            case 0:
                switch (f3) {
                    case 0: {
                        int imm = (bitsOf(c, 10, 7) << 6) | (bitsOf(c, 12, 11) << 4) | (bit(c, 5) << 3) | (bit(c, 6) << 2);
                        if (imm == 0) return null;
                        return ins(2, c, "addi", x(rdp) + ",sp," + imm);
                    }
                    case 1: return ins(2, c, "fld", f(rdp) + "," + ((bitsOf(c, 12, 10) << 3) | (bitsOf(c, 6, 5) << 6)) + "(" + x(rs1p) + ")");
                    case 2: return ins(2, c, "lw", x(rdp) + "," + lwImm(c) + "(" + x(rs1p) + ")");
                    case 3: return ins(2, c, "ld", x(rdp) + "," + ldImm(c) + "(" + x(rs1p) + ")");
                    case 5: return ins(2, c, "fsd", f(rdp) + "," + ldImm(c) + "(" + x(rs1p) + ")");
                    case 6: return ins(2, c, "sw", x(rdp) + "," + lwImm(c) + "(" + x(rs1p) + ")");
                    case 7: return ins(2, c, "sd", x(rdp) + "," + ldImm(c) + "(" + x(rs1p) + ")");
                    default: return null;
                }
            case 1:
                switch (f3) {
                    case 0: {
                        int imm = sext((bit(c, 12) << 5) | bitsOf(c, 6, 2), 6);
                        if (rd == 0) return aliases ? ins(2, c, "nop", "") : ins(2, c, "addi", "zero,zero," + imm);
                        return ins(2, c, "addi", x(rd) + "," + x(rd) + "," + imm);
                    }
                    case 1: {
                        if (rd == 0) return null;
                        int imm = sext((bit(c, 12) << 5) | bitsOf(c, 6, 2), 6);
                        if (aliases && imm == 0) return ins(2, c, "sext.w", x(rd) + "," + x(rd));
                        return ins(2, c, "addiw", x(rd) + "," + x(rd) + "," + imm);
                    }
                    case 2: {
                        int imm = sext((bit(c, 12) << 5) | bitsOf(c, 6, 2), 6);
                        return aliases ? ins(2, c, "li", x(rd) + "," + imm) : ins(2, c, "addi", x(rd) + ",zero," + imm);
                    }
                    case 3: {
                        if (rd == 2) {
                            int imm = sext((bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bitsOf(c, 4, 3) << 7) | (bit(c, 2) << 5), 10);
                            if (imm == 0) return null;
                            return ins(2, c, "addi", "sp,sp," + imm);
                        }
                        int imm = sext((bit(c, 12) << 5) | bitsOf(c, 6, 2), 6);
                        if (imm == 0 || rd == 0) return null;
                        return ins(2, c, "lui", x(rd) + "," + hex(imm & 0xfffff));
                    }
                    case 4: {
                        int sub = bitsOf(c, 11, 10);
                        int sh = (bit(c, 12) << 5) | bitsOf(c, 6, 2);
                        if (sub == 0) return ins(2, c, "srli", x(rs1p) + "," + x(rs1p) + "," + hex(sh));
                        if (sub == 1) return ins(2, c, "srai", x(rs1p) + "," + x(rs1p) + "," + hex(sh));
                        if (sub == 2) return ins(2, c, "andi", x(rs1p) + "," + x(rs1p) + "," + sext(sh, 6));
                        int rs2p = rdp;
                        String ops = x(rs1p) + "," + x(rs1p) + "," + x(rs2p);
                        int k = (bit(c, 12) << 2) | bitsOf(c, 6, 5);
                        return switch (k) {
                            case 0 -> ins(2, c, "sub", ops);
                            case 1 -> ins(2, c, "xor", ops);
                            case 2 -> ins(2, c, "or", ops);
                            case 3 -> ins(2, c, "and", ops);
                            case 4 -> ins(2, c, "subw", ops);
                            case 5 -> ins(2, c, "addw", ops);
                            default -> null;
                        };
                    }
                    case 5: {
                        int off = sext((bit(c, 12) << 11) | (bit(c, 11) << 4) | (bitsOf(c, 10, 9) << 8) | (bit(c, 8) << 10)
                                | (bit(c, 7) << 6) | (bit(c, 6) << 7) | (bitsOf(c, 5, 3) << 1) | (bit(c, 2) << 5), 12);
                        return aliases ? branch(2, c, "j", "", pc, off) : branch(2, c, "jal", "zero", pc, off);
                    }
                    default: {
                        int off = sext((bit(c, 12) << 8) | (bitsOf(c, 11, 10) << 3) | (bitsOf(c, 6, 5) << 6) | (bitsOf(c, 4, 3) << 1)
                                | (bit(c, 2) << 5), 9);
                        return cbranch(2, c, pc, f3 == 6 ? "beq" : "bne", rs1p, 0, off);
                    }
                }
            default:
                switch (f3) {
                    case 0: {
                        int sh = (bit(c, 12) << 5) | bitsOf(c, 6, 2);
                        if (rd == 0) return null;
                        return ins(2, c, "slli", x(rd) + "," + x(rd) + "," + hex(sh));
                    }
                    case 1: return ins(2, c, "fld", f(rd) + "," + ldspImm(c) + "(sp)");
                    case 2:
                        if (rd == 0) return null;
                        return ins(2, c, "lw", x(rd) + "," + ((bit(c, 12) << 5) | (bitsOf(c, 6, 4) << 2) | (bitsOf(c, 3, 2) << 6)) + "(sp)");
                    case 3:
                        if (rd == 0) return null;
                        return ins(2, c, "ld", x(rd) + "," + ldspImm(c) + "(sp)");
                    case 4:
                        if (bit(c, 12) == 0) {
                            if (rs2 == 0) {
                                if (rd == 0) return null;
                                return jalr(2, c, 0, rd, 0);
                            }
                            return aliases ? ins(2, c, "mv", x(rd) + "," + x(rs2)) : ins(2, c, "add", x(rd) + ",zero," + x(rs2));
                        }
                        if (rs2 == 0) {
                            if (rd == 0) return ins(2, c, "ebreak", "");
                            return jalr(2, c, 1, rd, 0);
                        }
                        return ins(2, c, "add", x(rd) + "," + x(rd) + "," + x(rs2));
                    case 5: return ins(2, c, "fsd", f(rs2) + "," + sdspImm(c) + "(sp)");
                    case 6: return ins(2, c, "sw", x(rs2) + "," + ((bitsOf(c, 12, 9) << 2) | (bitsOf(c, 8, 7) << 6)) + "(sp)");
                    default: return ins(2, c, "sd", x(rs2) + "," + sdspImm(c) + "(sp)");
                }
        }
    }

    private static int lwImm(int c) { return (bitsOf(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6); }
    private static int ldImm(int c) { return (bitsOf(c, 12, 10) << 3) | (bitsOf(c, 6, 5) << 6); }
    private static int ldspImm(int c) { return (bit(c, 12) << 5) | (bitsOf(c, 6, 5) << 3) | (bitsOf(c, 4, 2) << 6); }
    private static int sdspImm(int c) { return (bitsOf(c, 12, 10) << 3) | (bitsOf(c, 9, 7) << 6); }
}
