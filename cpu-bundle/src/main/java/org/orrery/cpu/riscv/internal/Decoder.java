package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Op.*;

/**
 * Decodes 32-bit and 16-bit RISC-V instructions into the packed form of {@link Op}. The result of
 * {@link #decode} is {@code (long) imm << 32 | packedWord}. Unsupported or reserved encodings decode to
 * {@link Op#ILLEGAL}.
 */
final class Decoder {
    private final boolean rv64, extM, extA, extF, extD, extC;

    Decoder(boolean rv64, boolean m, boolean a, boolean f, boolean d, boolean c) {
        this.rv64 = rv64; this.extM = m; this.extA = a; this.extF = f; this.extD = d; this.extC = c;
    }

    /** pause: fence with pred = W, succ = 0, fm = 0, rs1 = rd = x0. */
    static final int PAUSE_ENCODING = 0x0100000f;

    private static long r(int w, int imm) { return (long) imm << 32 | (w & 0xffffffffL); }
    private static int xd(int rd) { return rd == 0 ? 32 : rd; }
    private static long illegal(boolean len32) { return r(pack(ILLEGAL, 0, 0, 0, 0, len32), 0); }

    private long i32(int op, int rd, int rs1, int rs2, int imm) { return r(pack(op, xd(rd), rs1, rs2, 0, true), imm); }

    /** Decodes one instruction; {@code raw} holds 32 bits, or 16 bits in the low half for compressed ones. */
    long decode(int raw) {
        if ((raw & 3) != 3) return extC ? decode16(raw & 0xffff) : illegal(false);
        return decode32(raw);
    }

    long decode32(int raw) {
        int opc = raw & 0x7f, rd = (raw >>> 7) & 31, f3 = (raw >>> 12) & 7, rs1 = (raw >>> 15) & 31,
            rs2 = (raw >>> 20) & 31, f7 = raw >>> 25;
        int immI = raw >> 20;
        switch (opc) {
            case 0x37: return i32(LUI, rd, 0, 0, raw & 0xfffff000);
            case 0x17: return i32(AUIPC, rd, 0, 0, raw & 0xfffff000);
            case 0x6f: {
                int imm = (raw >> 31) << 20 | ((raw >>> 21) & 0x3ff) << 1 | ((raw >>> 20) & 1) << 11 | ((raw >>> 12) & 0xff) << 12;
                return i32(JAL, rd, 0, 0, imm);
            }
            case 0x67: return f3 == 0 ? i32(JALR, rd, rs1, 0, immI) : illegal(true);
            case 0x63: {
                int imm = (raw >> 31) << 12 | ((raw >>> 25) & 0x3f) << 5 | ((raw >>> 8) & 0xf) << 1 | ((raw >>> 7) & 1) << 11;
                int op = switch (f3) { case 0 -> BEQ; case 1 -> BNE; case 4 -> BLT; case 5 -> BGE; case 6 -> BLTU; case 7 -> BGEU; default -> -1; };
                return op < 0 ? illegal(true) : r(pack(op, 0, rs1, rs2, 0, true), imm);
            }
            case 0x03: {
                int op = switch (f3) { case 0 -> LB; case 1 -> LH; case 2 -> LW; case 3 -> rv64 ? LD : -1; case 4 -> LBU; case 5 -> LHU; case 6 -> rv64 ? LWU : -1; default -> -1; };
                return op < 0 ? illegal(true) : i32(op, rd, rs1, 0, immI);
            }
            case 0x23: {
                int imm = (raw >> 25) << 5 | rd;
                int op = switch (f3) { case 0 -> SB; case 1 -> SH; case 2 -> SW; case 3 -> rv64 ? SD : -1; default -> -1; };
                return op < 0 ? illegal(true) : r(pack(op, 0, rs1, rs2, 0, true), imm);
            }
            case 0x13: {
                int sh = raw >>> 20 & 63, f6 = raw >>> 26;
                switch (f3) {
                    case 0: return i32(rv64 ? ADDI : ADDIW, rd, rs1, 0, immI);
                    case 2: return i32(SLTI, rd, rs1, 0, immI);
                    case 3: return i32(SLTIU, rd, rs1, 0, immI);
                    case 4: return i32(XORI, rd, rs1, 0, immI);
                    case 6: return i32(ORI, rd, rs1, 0, immI);
                    case 7: return i32(ANDI, rd, rs1, 0, immI);
                    case 1:
                        if (f6 != 0 || (!rv64 && sh >= 32)) return illegal(true);
                        return i32(rv64 ? SLLI : SLLIW, rd, rs1, 0, sh);
                    default:
                        if (!rv64 && sh >= 32) return illegal(true);
                        if (f6 == 0) return i32(rv64 ? SRLI : SRLIW, rd, rs1, 0, sh);
                        if (f6 == 0x10) return i32(rv64 ? SRAI : SRAIW, rd, rs1, 0, sh);
                        return illegal(true);
                }
            }
            case 0x1b: {
                if (!rv64) return illegal(true);
                if (f3 == 0) return i32(ADDIW, rd, rs1, 0, immI);
                if (f3 == 1 && f7 == 0) return i32(SLLIW, rd, rs1, 0, rs2);
                if (f3 == 5 && f7 == 0) return i32(SRLIW, rd, rs1, 0, rs2);
                if (f3 == 5 && f7 == 0x20) return i32(SRAIW, rd, rs1, 0, rs2);
                return illegal(true);
            }
            case 0x33: {
                int op = -1;
                if (f7 == 0) op = switch (f3) { case 0 -> rv64 ? ADD : ADDW; case 1 -> rv64 ? SLL : SLLW; case 2 -> SLT; case 3 -> SLTU; case 4 -> XOR; case 5 -> rv64 ? SRL : SRLW; case 6 -> OR; default -> AND; };
                else if (f7 == 0x20) op = switch (f3) { case 0 -> rv64 ? SUB : SUBW; case 5 -> rv64 ? SRA : SRAW; default -> -1; };
                else if (f7 == 1 && extM) op = switch (f3) {
                    case 0 -> rv64 ? MUL : MULW; case 1 -> rv64 ? MULH : MULH32; case 2 -> rv64 ? MULHSU : MULHSU32; case 3 -> rv64 ? MULHU : MULHU32;
                    case 4 -> rv64 ? DIV : DIVW; case 5 -> rv64 ? DIVU : DIVU32; case 6 -> rv64 ? REM : REMW; default -> rv64 ? REMU : REMU32; };
                return op < 0 ? illegal(true) : i32(op, rd, rs1, rs2, 0);
            }
            case 0x3b: {
                if (!rv64) return illegal(true);
                int op = -1;
                if (f7 == 0) op = switch (f3) { case 0 -> ADDW; case 1 -> SLLW; case 5 -> SRLW; default -> -1; };
                else if (f7 == 0x20) op = switch (f3) { case 0 -> SUBW; case 5 -> SRAW; default -> -1; };
                else if (f7 == 1 && extM) op = switch (f3) { case 0 -> MULW; case 4 -> DIVW; case 5 -> DIVUW; case 6 -> REMW; case 7 -> REMUW; default -> -1; };
                return op < 0 ? illegal(true) : i32(op, rd, rs1, rs2, 0);
            }
            case 0x0f:
                // PAUSE (Zihintpause) is a FENCE that orders nothing; imm 1 marks it as a spin-wait hint
                if (f3 == 0) return r(pack(FENCE, 0, 0, 0, 0, true), raw == PAUSE_ENCODING ? 1 : 0);
                if (f3 == 1) return r(pack(FENCE_I, 0, 0, 0, 0, true), 0);
                return illegal(true);
            case 0x73: {
                if (f3 == 0) {
                    if (raw == 0x00000073) return r(pack(ECALL, 0, 0, 0, 0, true), 0);
                    if (raw == 0x00100073) return r(pack(EBREAK, 0, 0, 0, 0, true), 0);
                    if (raw == 0x30200073) return r(pack(MRET, 0, 0, 0, 0, true), 0);
                    if (raw == 0x10200073) return r(pack(SRET, 0, 0, 0, 0, true), 0);
                    if (raw == 0x10500073) return r(pack(WFI, 0, 0, 0, 0, true), 0);
                    if (f7 == 0x09 && rd == 0) return r(pack(SFENCE_VMA, 0, rs1, rs2, 0, true), 0);
                    return illegal(true);
                }
                int csr = raw >>> 20;
                int op = switch (f3) { case 1 -> CSRRW; case 2 -> CSRRS; case 3 -> CSRRC; case 5 -> CSRRWI; case 6 -> CSRRSI; case 7 -> CSRRCI; default -> -1; };
                return op < 0 ? illegal(true) : i32(op, rd, rs1, 0, csr);
            }
            case 0x2f: {
                if (!extA || (f3 != 2 && (f3 != 3 || !rv64))) return illegal(true);
                int f5 = raw >>> 27;
                switch (f5) {
                    case LR: if (rs2 != 0) return illegal(true); break;
                    case SC, AMOADD, AMOSWAP, AMOXOR, AMOOR, AMOAND, AMOMIN, AMOMAX, AMOMINU, AMOMAXU: break;
                    default: return illegal(true);
                }
                return i32(f3 == 2 ? AMO_W : AMO_D, rd, rs1, rs2, f5);
            }
            case 0x07:
                if (f3 == 2 && extF) return r(pack(FLW, rd, rs1, 0, 0, true), immI);
                if (f3 == 3 && extD) return r(pack(FLD, rd, rs1, 0, 0, true), immI);
                return illegal(true);
            case 0x27: {
                int imm = (raw >> 25) << 5 | rd;
                if (f3 == 2 && extF) return r(pack(FSW, 0, rs1, rs2, 0, true), imm);
                if (f3 == 3 && extD) return r(pack(FSD, 0, rs1, rs2, 0, true), imm);
                return illegal(true);
            }
            case 0x43: case 0x47: case 0x4b: case 0x4f: {
                int fmt = f7 & 3;
                if (!fmtOk(fmt) || !rmOk(f3)) return illegal(true);
                int sub = (opc - 0x43) >> 2;
                return r(pack(FP, rd, rs1, rs2, raw >>> 27, true), sub << 8 | fmt << 3 | f3);
            }
            case 0x53: return decodeOpFp(raw, rd, f3, rs1, rs2, f7);
            default: return illegal(true);
        }
    }

    private boolean fmtOk(int fmt) { return fmt == 0 ? extF : fmt == 1 && extD; }
    private static boolean rmOk(int rm) { return rm != 5 && rm != 6; }

    private long fp(int sub, int rd, int rs1, int rs2, int fmt, int rm) {
        return r(pack(FP, rd, rs1, rs2, 0, true), sub << 8 | fmt << 3 | rm);
    }

    private long decodeOpFp(int raw, int rd, int f3, int rs1, int rs2, int f7) {
        int fmt = f7 & 3;
        if (!fmtOk(fmt)) return illegal(true);
        switch (f7 >>> 2) {
            case 0x00: return rmOk(f3) ? fp(F_ADD, rd, rs1, rs2, fmt, f3) : illegal(true);
            case 0x01: return rmOk(f3) ? fp(F_SUB, rd, rs1, rs2, fmt, f3) : illegal(true);
            case 0x02: return rmOk(f3) ? fp(F_MUL, rd, rs1, rs2, fmt, f3) : illegal(true);
            case 0x03: return rmOk(f3) ? fp(F_DIV, rd, rs1, rs2, fmt, f3) : illegal(true);
            case 0x0b: return rs2 == 0 && rmOk(f3) ? fp(F_SQRT, rd, rs1, 0, fmt, f3) : illegal(true);
            case 0x04: return f3 <= 2 ? fp(F_SGNJ + f3, rd, rs1, rs2, fmt, 0) : illegal(true);
            case 0x05: return f3 <= 1 ? fp(F_MIN + f3, rd, rs1, rs2, fmt, 0) : illegal(true);
            case 0x08: // fcvt.s.d (fmt 0, rs2 1) / fcvt.d.s (fmt 1, rs2 0)
                if (fmt == 0 && rs2 == 1 && extD && rmOk(f3)) return fp(F_CVT_S_D, rd, rs1, 0, 0, f3);
                if (fmt == 1 && rs2 == 0 && rmOk(f3)) return fp(F_CVT_D_S, rd, rs1, 0, 1, f3);
                return illegal(true);
            case 0x14:
                if (f3 == 2) return fp(F_EQ, xd(rd), rs1, rs2, fmt, 0);
                if (f3 == 1) return fp(F_LT, xd(rd), rs1, rs2, fmt, 0);
                if (f3 == 0) return fp(F_LE, xd(rd), rs1, rs2, fmt, 0);
                return illegal(true);
            case 0x18:
                if (rs2 > 3 || (!rv64 && rs2 > 1) || !rmOk(f3)) return illegal(true);
                return fp(F_CVT_W + rs2, xd(rd), rs1, 0, fmt, f3);
            case 0x1a:
                if (rs2 > 3 || (!rv64 && rs2 > 1) || !rmOk(f3)) return illegal(true);
                return fp(F_CVT_FROM_W + rs2, rd, rs1, 0, fmt, f3);
            case 0x1c:
                if (rs2 != 0) return illegal(true);
                if (f3 == 0 && (fmt == 0 || rv64)) return fp(F_MV_X, xd(rd), rs1, 0, fmt, 0);
                if (f3 == 1) return fp(F_CLASS, xd(rd), rs1, 0, fmt, 0);
                return illegal(true);
            case 0x1e:
                if (rs2 != 0 || f3 != 0 || (fmt == 1 && !rv64)) return illegal(true);
                return fp(F_MV_FROM_X, rd, rs1, 0, fmt, 0);
            default: return illegal(true);
        }
    }

    private long c(int op, int rd, int rs1, int rs2, int imm) { return r(pack(op, rd, rs1, rs2, 0, false), imm); }
    private long cx(int op, int rd, int rs1, int rs2, int imm) { return c(op, xd(rd), rs1, rs2, imm); }

    long decode16(int h) {
        int q = h & 3, f3 = h >>> 13, rdf = (h >>> 7) & 31, rs2f = (h >>> 2) & 31;
        int rdp = 8 + ((h >>> 2) & 7), rs1p = 8 + ((h >>> 7) & 7);
        int b12 = (h >>> 12) & 1;
        int imm6 = (b12 == 1 ? -32 : 0) | ((h >>> 2) & 31);
        if (h == 0) return illegal(false);
        switch (q << 3 | f3) {
            case 0: { // C.ADDI4SPN
                int imm = ((h >>> 7) & 0xf) << 6 | ((h >>> 11) & 3) << 4 | ((h >>> 5) & 1) << 3 | ((h >>> 6) & 1) << 2;
                return imm == 0 ? illegal(false) : cx(ADDI_(), rdp, 2, 0, imm);
            }
            case 1: // C.FLD
                return extD ? c(FLD, rdp, rs1p, 0, ldImm(h)) : illegal(false);
            case 2: return cx(LW, rdp, rs1p, 0, lwImm(h));
            case 3: // C.LD / C.FLW
                if (rv64) return cx(LD, rdp, rs1p, 0, ldImm(h));
                return extF ? c(FLW, rdp, rs1p, 0, lwImm(h)) : illegal(false);
            case 5: return extD ? c(FSD, 0, rs1p, rdp, ldImm(h)) : illegal(false);
            case 6: return c(SW, 0, rs1p, rdp, lwImm(h));
            case 7:
                if (rv64) return c(SD, 0, rs1p, rdp, ldImm(h));
                return extF ? c(FSW, 0, rs1p, rdp, lwImm(h)) : illegal(false);
            case 8: // C.ADDI / C.NOP
                return rdf == 0 ? c(NOP, 0, 0, 0, 0) : cx(ADDI_(), rdf, rdf, 0, imm6);
            case 9:
                if (rv64) return rdf == 0 ? illegal(false) : cx(ADDIW, rdf, rdf, 0, imm6);
                return cx(JAL, 1, 0, 0, jImm(h));
            case 10: return cx(ADDI_(), rdf, 0, 0, imm6); // C.LI
            case 11:
                if (rdf == 2) { // C.ADDI16SP
                    int imm = (b12 == 1 ? -512 : 0) | ((h >>> 3) & 3) << 7 | ((h >>> 5) & 1) << 6 | ((h >>> 2) & 1) << 5 | ((h >>> 6) & 1) << 4;
                    return imm == 0 ? illegal(false) : cx(ADDI_(), 2, 2, 0, imm);
                }
                return imm6 == 0 ? illegal(false) : cx(LUI, rdf, 0, 0, imm6 << 12);
            case 12: {
                int f2 = (h >>> 10) & 3;
                int sh = b12 << 5 | ((h >>> 2) & 31);
                if (f2 == 0) return !rv64 && b12 == 1 ? illegal(false) : cx(rv64 ? SRLI : SRLIW, rs1p, rs1p, 0, sh);
                if (f2 == 1) return !rv64 && b12 == 1 ? illegal(false) : cx(rv64 ? SRAI : SRAIW, rs1p, rs1p, 0, sh);
                if (f2 == 2) return cx(ANDI, rs1p, rs1p, 0, imm6);
                int f = (h >>> 5) & 3;
                if (b12 == 0) {
                    int op = switch (f) { case 0 -> rv64 ? SUB : SUBW; case 1 -> XOR; case 2 -> OR; default -> AND; };
                    return cx(op, rs1p, rs1p, rdp, 0);
                }
                if (!rv64 || f >= 2) return illegal(false);
                return cx(f == 0 ? SUBW : ADDW, rs1p, rs1p, rdp, 0);
            }
            case 13: return cx(JAL, 0, 0, 0, jImm(h));
            case 14: case 15: {
                int imm = (b12 == 1 ? -256 : 0) | ((h >>> 5) & 3) << 6 | ((h >>> 2) & 1) << 5 | ((h >>> 10) & 3) << 3 | ((h >>> 3) & 3) << 1;
                return c(f3 == 6 ? BEQ : BNE, 0, rs1p, 0, imm);
            }
            case 16: {
                int sh = b12 << 5 | rs2f;
                if (!rv64 && b12 == 1) return illegal(false);
                return cx(rv64 ? SLLI : SLLIW, rdf, rdf, 0, sh);
            }
            case 17: return extD ? c(FLD, rdf, 2, 0, ldspImm(h)) : illegal(false);
            case 18: return rdf == 0 ? illegal(false) : cx(LW, rdf, 2, 0, lwspImm(h));
            case 19:
                if (rv64) return rdf == 0 ? illegal(false) : cx(LD, rdf, 2, 0, ldspImm(h));
                return extF ? c(FLW, rdf, 2, 0, lwspImm(h)) : illegal(false);
            case 20:
                if (b12 == 0) {
                    if (rs2f == 0) return rdf == 0 ? illegal(false) : cx(JALR, 0, rdf, 0, 0);
                    return cx(rv64 ? ADD : ADDW, rdf, 0, rs2f, 0);
                }
                if (rdf == 0 && rs2f == 0) return c(EBREAK, 0, 0, 0, 0);
                if (rs2f == 0) return cx(JALR, 1, rdf, 0, 0);
                return cx(rv64 ? ADD : ADDW, rdf, rdf, rs2f, 0);
            case 21: return extD ? c(FSD, 0, 2, rs2f, sdspImm(h)) : illegal(false);
            case 22: return c(SW, 0, 2, rs2f, swspImm(h));
            case 23:
                if (rv64) return c(SD, 0, 2, rs2f, sdspImm(h));
                return extF ? c(FSW, 0, 2, rs2f, swspImm(h)) : illegal(false);
            default: return illegal(false);
        }
    }

    private int ADDI_() { return rv64 ? ADDI : ADDIW; }

    private static int lwImm(int h) { return ((h >>> 10) & 7) << 3 | ((h >>> 6) & 1) << 2 | ((h >>> 5) & 1) << 6; }
    private static int ldImm(int h) { return ((h >>> 10) & 7) << 3 | ((h >>> 5) & 3) << 6; }
    private static int lwspImm(int h) { return ((h >>> 12) & 1) << 5 | ((h >>> 4) & 7) << 2 | ((h >>> 2) & 3) << 6; }
    private static int ldspImm(int h) { return ((h >>> 12) & 1) << 5 | ((h >>> 5) & 3) << 3 | ((h >>> 2) & 7) << 6; }
    private static int swspImm(int h) { return ((h >>> 9) & 15) << 2 | ((h >>> 7) & 3) << 6; }
    private static int sdspImm(int h) { return ((h >>> 10) & 7) << 3 | ((h >>> 7) & 7) << 6; }
    private static int jImm(int h) {
        int imm = ((h >>> 12) & 1) << 11 | ((h >>> 11) & 1) << 4 | ((h >>> 9) & 3) << 8 | ((h >>> 8) & 1) << 10
            | ((h >>> 7) & 1) << 6 | ((h >>> 6) & 1) << 7 | ((h >>> 3) & 7) << 1 | ((h >>> 2) & 1) << 5;
        return (imm << 20) >> 20;
    }
}
