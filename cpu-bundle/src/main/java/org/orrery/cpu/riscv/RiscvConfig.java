package org.orrery.cpu.riscv;

/**
 * The configuration of one RISC-V hart.
 *
 * @param hartId      the value of mhartid
 * @param resetVector the pc after reset
 * @param xlen        32 or 64
 * @param m           integer multiply/divide
 * @param a           atomics
 * @param f           single-precision floating point
 * @param d           double-precision floating point (requires f)
 * @param c           compressed instructions
 * @param s           supervisor mode (with paging)
 * @param u           user mode
 * @param sstc        the Sstc extension (stimecmp)
 */
public record RiscvConfig(int hartId, long resetVector, int xlen, boolean m, boolean a, boolean f, boolean d,
                          boolean c, boolean s, boolean u, boolean sstc) {
    public RiscvConfig {
        if (xlen != 32 && xlen != 64) throw new IllegalArgumentException("xlen must be 32 or 64, got " + xlen);
        if (d && !f) throw new IllegalArgumentException("the D extension requires F");
        if (s && !u) throw new IllegalArgumentException("supervisor mode requires user mode");
    }

    /** An RV64GC hart with M, S and U modes and Sstc, as QEMU's virt board has. */
    public static RiscvConfig rv64gc(int hartId, long resetVector) {
        return new RiscvConfig(hartId, resetVector, 64, true, true, true, true, true, true, true, true);
    }

    /** An RV32GC hart with M, S and U modes and Sstc. */
    public static RiscvConfig rv32gc(int hartId, long resetVector) {
        return new RiscvConfig(hartId, resetVector, 32, true, true, true, true, true, true, true, true);
    }

    /** The misa value (MXL and extension bits). */
    public long misa() {
        long v = (xlen == 64 ? 2L << 62 : 1L << 30) | 1L << ('I' - 'A');
        if (m) v |= 1L << ('M' - 'A');
        if (a) v |= 1L << ('A' - 'A');
        if (f) v |= 1L << ('F' - 'A');
        if (d) v |= 1L << ('D' - 'A');
        if (c) v |= 1L << ('C' - 'A');
        if (s) v |= 1L << ('S' - 'A');
        if (u) v |= 1L << ('U' - 'A');
        return v;
    }
}
