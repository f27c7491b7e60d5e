package org.orrery.cpu.riscv.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;

import org.orrery.cpu.riscv.testing.TestMachine;

/**
 * Runs a guest benchmark ELF on Orrery's hart and prints instructions per second. The first run
 * includes JIT warm-up; the following ones show the steady state.
 * Usage: CpuBenchmark file.elf [runs]
 */
public final class CpuBenchmark {
    public static void main(String[] args) throws Exception {
        Path elf = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double bestMips = 0, firstWall = 0;
        for (int i = 0; i < runs; i++) {
            TestMachine m = new TestMachine();
            m.loadElf(elf);
            long cpu0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            TestMachine.Result r = m.run(Long.MAX_VALUE);
            long wall = System.nanoTime() - t0, cpu = mx.getCurrentThreadCpuTime() - cpu0;
            if (!r.passed()) throw new IllegalStateException("benchmark failed: " + r.output());
            double mipsWall = r.instructions() / (wall / 1e3), mipsCpu = r.instructions() / (cpu / 1e3);
            System.out.printf("orrery run %d: %d instructions, wall %.3f s, cpu %.3f s, %.1f MIPS (wall), %.1f MIPS (cpu) -- %s",
                i + 1, r.instructions(), wall / 1e9, cpu / 1e9, mipsWall, mipsCpu, r.output());
            if (i == 0) firstWall = wall / 1e9;
            bestMips = Math.max(bestMips, mipsWall);
        }
        System.out.printf("orrery-summary first-run-wall=%.3f best-mips=%.1f%n", firstWall, bestMips);
    }
}
