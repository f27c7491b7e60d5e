package org.orrery.cpu.riscv.internal;

import java.util.Random;

import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.StopReason;

/**
 * Runs two machines in lock step, one on the translator and one on the interpreter, and compares their
 * architectural state whenever both have attempted the same number of instructions: the translating hart
 * runs one step (a translated region, or a block the interpreter runs for it) with a random budget, then
 * the reference hart runs exactly as many instructions. Both clocks advance alike, so timer interrupts
 * arrive at the same instruction on both.
 */
public final class Lockstep {
    private static final int[] CSRS = {0x300, 0x304, 0x344, 0x305, 0x341, 0x342, 0x343, 0x340, 0x302, 0x303,
        0x100, 0x105, 0x141, 0x142, 0x143, 0x140, 0x180, 0x003, 0xb02, 0x306, 0x106, 0x30a, 0x14d};

    private final TestMachine dut, ref;
    private final RiscvHart a, b;
    private final Random random;
    private long steps, comparisons;

    public Lockstep(TestMachine translating, TestMachine reference, long seed) {
        this.dut = translating;
        this.ref = reference;
        this.a = (RiscvHart) translating.hart;
        this.b = (RiscvHart) reference.hart;
        this.random = new Random(seed);
        if (a.translationStatistics() == null) throw new IllegalArgumentException("the first machine must translate");
        if (b.translationStatistics() != null) throw new IllegalArgumentException("the second machine must only interpret");
    }

    private static long attempted(RiscvHart h) { return h.retired + h.trapsTaken; }

    /** Runs until {@code done} holds or maxInstructions have been attempted; throws AssertionError at the first difference. */
    public void run(long maxInstructions, java.util.function.BooleanSupplier done) {
        int[] budgets = {1, 3, 40, 1000, 20_000};
        while (attempted(a) < maxInstructions && !done.getAsBoolean()) {
            long before = attempted(a);
            StopReason ra = a.run(budgets[random.nextInt(budgets.length)]);
            long target = attempted(a);
            StopReason rb = null;
            while (attempted(b) < target) {
                rb = b.run(target - attempted(b));
                if (rb == StopReason.WAITING_FOR_INTERRUPT && attempted(b) < target) break;
            }
            steps++;
            compare(ra, rb);
            long ran = Math.max(1, target - before);
            advance(ran);
            if (ra == StopReason.WAITING_FOR_INTERRUPT) {
                long d = dut.clock.nextDeadline();
                if (d < 0 || d != ref.clock.nextDeadline()) break; // nothing will wake it (or the clocks differ: compared below)
                dut.clock.advanceTo(d);
                ref.clock.advanceTo(d);
            }
        }
        if (!dut.output().equals(ref.output()))
            throw new AssertionError("console output differs:\n--- translator\n" + dut.output() + "\n--- interpreter\n" + ref.output());
    }

    private void advance(long nanos) {
        dut.clock.advanceTo(dut.clock.nanos() + nanos);
        ref.clock.advanceTo(ref.clock.nanos() + nanos);
    }

    public long steps() { return steps; }
    public long comparisons() { return comparisons; }

    private void compare(StopReason ra, StopReason rb) {
        comparisons++;
        StringBuilder diff = new StringBuilder();
        if (attempted(a) != attempted(b)) diff.append(" attempted ").append(attempted(a)).append(" vs ").append(attempted(b));
        if (a.retired != b.retired) diff.append(" retired ").append(a.retired).append(" vs ").append(b.retired);
        if (a.pc != b.pc) diff.append(String.format(" pc %x vs %x", a.pc, b.pc));
        if (a.priv != b.priv) diff.append(" priv ").append(a.priv).append(" vs ").append(b.priv);
        for (int i = 1; i < 32; i++) if (a.x[i] != b.x[i]) diff.append(String.format(" x%d %x vs %x", i, a.x[i], b.x[i]));
        for (int i = 0; i < 32; i++) if (a.f[i] != b.f[i]) diff.append(String.format(" f%d %x vs %x", i, a.f[i], b.f[i]));
        for (int csr : CSRS) {
            Long va = a.debug().csr(csr), vb = b.debug().csr(csr);
            if (!java.util.Objects.equals(va, vb)) diff.append(String.format(" csr%03x %s vs %s", csr, hex(va), hex(vb)));
        }
        if (a.resAddr != b.resAddr) diff.append(String.format(" reservation %x vs %x", a.resAddr, b.resAddr));
        if (a.waiting != b.waiting) diff.append(" waiting ").append(a.waiting).append(" vs ").append(b.waiting);
        if (diff.length() > 0)
            throw new AssertionError("translator and interpreter differ after step " + steps + " (" + ra + "/" + rb + "):" + diff
                    + "\n" + a.translationStatistics());
    }

    private static String hex(Long v) { return v == null ? "none" : Long.toHexString(v); }
}
