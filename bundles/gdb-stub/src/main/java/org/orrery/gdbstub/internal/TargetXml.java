package org.orrery.gdbstub.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The target description gdb reads with {@code qXfer:features:read:target.xml}, and the register numbering
 * it implies. The numbering is the one QEMU uses for RISC-V, so gdb sends the same {@code p}/{@code P}
 * numbers to both:
 * <pre>
 *   0..31   x0..x31          (org.gnu.gdb.riscv.cpu)
 *   32      pc
 *   33..64  f0..f31          (org.gnu.gdb.riscv.fpu, as the riscv_double union)
 *   65      priv             (org.gnu.gdb.riscv.virtual: the current privilege level)
 *   66+n    CSR n            (org.gnu.gdb.riscv.csr; fflags, frm, fcsr sit in the fpu feature as 67..69)
 * </pre>
 */
final class TargetXml {
    static final int PC = 32;
    static final int FIRST_FPR = 33;
    static final int PRIV = 65;
    static final int FIRST_CSR = 66;
    static final int CSR_FFLAGS = 1;
    static final int CSR_FRM = 2;
    static final int CSR_FCSR = 3;

    private static final String[] GPR_NAMES = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    private static final String[] FPR_NAMES = {
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
        "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};

    /** The privileged and counter CSRs gdb may show, by number (the privileged specification's names). */
    static final Map<Integer, String> CSR_NAMES = csrNames();

    private TargetXml() { }

    private static Map<Integer, String> csrNames() {
        Map<Integer, String> m = new LinkedHashMap<>();
        // supervisor
        m.put(0x100, "sstatus"); m.put(0x104, "sie"); m.put(0x105, "stvec"); m.put(0x106, "scounteren");
        m.put(0x10a, "senvcfg"); m.put(0x140, "sscratch"); m.put(0x141, "sepc"); m.put(0x142, "scause");
        m.put(0x143, "stval"); m.put(0x144, "sip"); m.put(0x14d, "stimecmp"); m.put(0x180, "satp");
        // machine
        m.put(0x300, "mstatus"); m.put(0x301, "misa"); m.put(0x302, "medeleg"); m.put(0x303, "mideleg");
        m.put(0x304, "mie"); m.put(0x305, "mtvec"); m.put(0x306, "mcounteren"); m.put(0x30a, "menvcfg");
        m.put(0x320, "mcountinhibit");
        for (int i = 3; i <= 31; i++) m.put(0x320 + i, "mhpmevent" + i);
        m.put(0x340, "mscratch"); m.put(0x341, "mepc"); m.put(0x342, "mcause"); m.put(0x343, "mtval");
        m.put(0x344, "mip"); m.put(0x34a, "mtinst"); m.put(0x34b, "mtval2");
        for (int i = 0; i < 4; i++) m.put(0x3a0 + i, "pmpcfg" + i);
        for (int i = 0; i < 16; i++) m.put(0x3b0 + i, "pmpaddr" + i);
        m.put(0x747, "mseccfg");
        m.put(0xb00, "mcycle"); m.put(0xb02, "minstret");
        for (int i = 3; i <= 31; i++) m.put(0xb00 + i, "mhpmcounter" + i);
        // unprivileged counters
        m.put(0xc00, "cycle"); m.put(0xc01, "time"); m.put(0xc02, "instret");
        for (int i = 3; i <= 31; i++) m.put(0xc00 + i, "hpmcounter" + i);
        // machine information
        m.put(0xf11, "mvendorid"); m.put(0xf12, "marchid"); m.put(0xf13, "mimpid"); m.put(0xf14, "mhartid");
        m.put(0xf15, "mconfigptr");
        return m;
    }

    /** Size in bytes of register {@code regnum} as the description declares it, or 0 if there is none. */
    static int registerSize(int regnum, int xlenBytes) {
        if (regnum < 0) return 0;
        if (regnum <= PC) return xlenBytes;
        if (regnum < PRIV) return 8;
        if (regnum == PRIV) return xlenBytes;
        int csr = regnum - FIRST_CSR;
        if (csr < 0 || csr > 0xfff) return 0;
        return csr >= CSR_FFLAGS && csr <= CSR_FCSR ? 4 : xlenBytes;
    }

    /**
     * The whole description, one document with four features.
     *
     * @param architecture gdb's name, for example riscv:rv64
     * @param csrPresent   which CSRs the hart has (those it lacks are left out)
     */
    static String build(String architecture, int xlen, IntPredicate csrPresent) {
        StringBuilder x = new StringBuilder(16384);
        x.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        x.append("<architecture>").append(architecture).append("</architecture>\n");

        x.append("<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
        for (int i = 0; i < 32; i++) {
            String type = i == 1 ? "code_ptr" : (i == 2 || i == 3 || i == 4 || i == 8) ? "data_ptr" : "int";
            reg(x, GPR_NAMES[i], xlen, type, i);
        }
        reg(x, "pc", xlen, "code_ptr", PC);
        x.append("</feature>\n");

        x.append("<feature name=\"org.gnu.gdb.riscv.fpu\">\n");
        x.append("  <union id=\"riscv_double\">\n    <field name=\"float\" type=\"ieee_single\"/>\n")
         .append("    <field name=\"double\" type=\"ieee_double\"/>\n  </union>\n");
        for (int i = 0; i < 32; i++) reg(x, FPR_NAMES[i], 64, "riscv_double", FIRST_FPR + i);
        reg(x, "fflags", 32, "int", FIRST_CSR + CSR_FFLAGS);
        reg(x, "frm", 32, "int", FIRST_CSR + CSR_FRM);
        reg(x, "fcsr", 32, "int", FIRST_CSR + CSR_FCSR);
        x.append("</feature>\n");

        x.append("<feature name=\"org.gnu.gdb.riscv.virtual\">\n");
        reg(x, "priv", xlen, "int", PRIV);
        x.append("</feature>\n");

        x.append("<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (Map.Entry<Integer, String> c : sortedCsrs()) {
            int n = c.getKey();
            if (xlen == 64 && (n == 0x3a1 || n == 0x3a3)) continue; // odd pmpcfg exist only on RV32
            if (csrPresent.test(n)) reg(x, c.getValue(), xlen, "int", FIRST_CSR + n);
        }
        x.append("</feature>\n</target>\n");
        return x.toString();
    }

    private static List<Map.Entry<Integer, String>> sortedCsrs() {
        List<Map.Entry<Integer, String>> l = new ArrayList<>(CSR_NAMES.entrySet());
        l.sort(Map.Entry.comparingByKey());
        return l;
    }

    private static void reg(StringBuilder x, String name, int bits, String type, int regnum) {
        x.append("  <reg name=\"").append(name).append("\" bitsize=\"").append(bits).append("\" type=\"").append(type)
         .append("\" regnum=\"").append(regnum).append("\"/>\n");
    }
}
