package org.orrery.shell.hmp.internal;

import org.orrery.machine.cpu.HartDebug;

/** QEMU 7.2's "info registers" layout for RISC-V, and register names for monitor expressions ($pc, $sp, $a0). */
final class Registers {
    static final String[] ABI = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    static final String[] FABI = {"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
            "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11",
            "ft8", "ft9", "ft10", "ft11"};

    private record Csr(String name, int number, boolean hypervisor) { }

    private static final Csr[] CSRS = {
            new Csr("mhartid", 0xf14, false), new Csr("mstatus", 0x300, false), new Csr("hstatus", 0x600, true),
            new Csr("vsstatus", 0x200, true), new Csr("mip", 0x344, false), new Csr("mie", 0x304, false),
            new Csr("mideleg", 0x303, false), new Csr("hideleg", 0x603, true), new Csr("medeleg", 0x302, false),
            new Csr("hedeleg", 0x602, true), new Csr("mtvec", 0x305, false), new Csr("stvec", 0x105, false),
            new Csr("vstvec", 0x205, true), new Csr("mepc", 0x341, false), new Csr("sepc", 0x141, false),
            new Csr("vsepc", 0x241, true), new Csr("mcause", 0x342, false), new Csr("scause", 0x142, false),
            new Csr("vscause", 0x242, true), new Csr("mtval", 0x343, false), new Csr("stval", 0x143, false),
            new Csr("htval", 0x643, true), new Csr("mtval2", 0x34b, true), new Csr("mscratch", 0x340, false),
            new Csr("sscratch", 0x140, false), new Csr("satp", 0x180, false)};

    private Registers() { }

    static String dump(int cpuIndex, HartDebug d) {
        StringBuilder s = new StringBuilder();
        boolean h = d.csr(0x600) != null;
        s.append("\nCPU#").append(cpuIndex).append('\n');
        if (h) s.append(" V      =   0\n");
        s.append(String.format(" %-8s %016x%n", "pc", d.pc()));
        for (Csr c : CSRS) {
            if (c.hypervisor() && !h) continue;
            Long v = d.csr(c.number());
            s.append(String.format(" %-8s %016x%n", c.name(), v == null ? 0 : v));
        }
        for (int i = 0; i < 32; i++) {
            s.append(String.format(" %-8s %016x", "x" + i + "/" + ABI[i], d.gpr(i)));
            if (i % 4 == 3) s.append('\n');
        }
        for (int i = 0; i < 32; i++) {
            s.append(String.format(" %-8s %016x", "f" + i + "/" + FABI[i], d.fpr(i)));
            if (i % 4 == 3) s.append('\n');
        }
        return s.toString();
    }

    /** A register by monitor name (pc, x5, t0, f1, fa0, or a CSR name), or null. */
    static Long read(HartDebug d, String name) {
        if (name.equals("pc")) return d.pc();
        for (int i = 0; i < 32; i++) {
            if (name.equals(ABI[i]) || name.equals("x" + i) || (i == 8 && name.equals("fp"))) return d.gpr(i);
            if (name.equals(FABI[i]) || name.equals("f" + i)) return d.fpr(i);
        }
        for (Csr c : CSRS) if (c.name().equals(name)) return d.csr(c.number());
        return null;
    }
}
