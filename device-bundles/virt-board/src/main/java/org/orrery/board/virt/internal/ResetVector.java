package org.orrery.board.virt.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The boot ROM at 0x1000: a few RISC-V instructions that enter the firmware with a0 = mhartid,
 * a1 = device-tree address and a2 = address of the fw_dynamic_info structure OpenSBI's fw_dynamic reads,
 * followed by the two addresses and that structure. Instructions are encoded here from the base ISA's
 * instruction formats.
 *
 * <pre>
 * 0x00  auipc t0, 0          t0 = 0x1000
 * 0x04  addi  a2, t0, 40     a2 = &amp;fw_dynamic_info
 * 0x08  csrr  a0, mhartid
 * 0x0c  ld    a1, 32(t0)     a1 = fdt address       (lw on RV32)
 * 0x10  ld    t0, 24(t0)     t0 = entry             (lw on RV32)
 * 0x14  jr    t0
 * 0x18  .dword entry
 * 0x20  .dword fdt
 * 0x28  fw_dynamic_info { magic, version, next_addr, next_mode, options, boot_hart }
 * </pre>
 */
final class ResetVector {
    private ResetVector() { }

    static final int T0 = 5, A0 = 10, A1 = 11, A2 = 12;
    static final int CSR_MHARTID = 0xf14;
    static final long FW_DYNAMIC_MAGIC = 0x4942534f; // "OSBI"
    static final long FW_DYNAMIC_VERSION = 2;
    static final long NEXT_MODE_S = 1;
    static final int INFO_OFFSET = 0x28;

    static int auipc(int rd, int imm20) { return (imm20 << 12) | (rd << 7) | 0x17; }

    static int addi(int rd, int rs1, int imm12) { return iType(imm12, rs1, 0, rd, 0x13); }

    static int csrrs(int rd, int csr, int rs1) { return iType(csr, rs1, 2, rd, 0x73); }

    static int load(int rd, int rs1, int imm12, boolean doubleword) { return iType(imm12, rs1, doubleword ? 3 : 2, rd, 0x03); }

    static int jalr(int rd, int rs1, int imm12) { return iType(imm12, rs1, 0, rd, 0x67); }

    private static int iType(int imm12, int rs1, int funct3, int rd, int opcode) {
        return ((imm12 & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
    }

    /** The ROM contents for a hart of {@code xlen} bits. */
    static byte[] build(int xlen, long entry, long fdt, long nextAddr, long bootHart) {
        boolean rv64 = xlen == 64;
        ByteBuffer b = ByteBuffer.allocate(INFO_OFFSET + 6 * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(auipc(T0, 0));
        b.putInt(addi(A2, T0, INFO_OFFSET));
        b.putInt(csrrs(A0, CSR_MHARTID, 0));
        b.putInt(load(A1, T0, 32, rv64));
        b.putInt(load(T0, T0, 24, rv64));
        b.putInt(jalr(0, T0, 0));
        b.putLong(entry);
        b.putLong(fdt);
        // fw_dynamic_info: XLEN-sized fields; on RV32 each is a 32-bit word
        long[] info = {FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, nextAddr, NEXT_MODE_S, 0, bootHart};
        for (long v : info) {
            if (rv64) b.putLong(v); else b.putInt((int) v);
        }
        byte[] out = new byte[b.position()];
        b.flip();
        b.get(out);
        return out;
    }
}
