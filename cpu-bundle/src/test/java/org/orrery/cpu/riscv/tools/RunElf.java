package org.orrery.cpu.riscv.tools;

import java.nio.file.Path;

import org.orrery.cpu.riscv.testing.TestMachine;

/** Debug helper: runs an ELF on the test machine and prints its output and final state. */
public final class RunElf {
    public static void main(String[] args) throws Exception {
        TestMachine m = new TestMachine();
        m.loadElf(Path.of(args[0]));
        long max = args.length > 1 ? Long.parseLong(args[1]) : 100_000_000L;
        TestMachine.Result r = m.run(max);
        System.out.print(r.output());
        var d = m.hart.debug();
        System.out.printf("%n[finisher=%s insns=%d pc=%x priv=%d mcause=%x mepc=%x mtval=%x scause=%x sepc=%x]%n", r.finisher(), r.instructions(),
            d.pc(), d.privilege(), d.csr(0x342), d.csr(0x341), d.csr(0x343), d.csr(0x142), d.csr(0x141));
    }
}
