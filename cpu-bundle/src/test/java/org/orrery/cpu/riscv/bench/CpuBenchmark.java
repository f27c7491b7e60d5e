package org.orrery.cpu.riscv.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.Acceleration;

/**
 * Runs a guest benchmark ELF on Orrery's hart and prints guest instructions per second. Each run is a fresh
 * machine, so it includes translation and JIT warm-up; within a run, the rate is sampled every 100 million
 * instructions, and the steady state is the rate over the second half of the run.
 * Usage: CpuBenchmark file.elf [runs] [translator|interpreter]
 */
public final class CpuBenchmark {
    private static final long INTERVAL = 100_000_000L;

    public static void main(String[] args) throws Exception {
        Path elf = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        boolean translate = args.length <= 2 || !args[2].equals("interpreter");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double bestSteady = 0, firstWall = 0;
        for (int i = 0; i < runs; i++) {
            TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, TestMachine.RAM_BASE),
                    translate ? Acceleration.DEFAULT : Acceleration.INTERPRETER);
            m.loadElf(elf);
            List<long[]> samples = new ArrayList<>(); // instructions, wall nanos, machine-thread cpu nanos
            long cpu0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            TestMachine.Result r;
            do {
                r = m.run(INTERVAL);
                samples.add(new long[] {m.hart.instructionsRetired(), System.nanoTime() - t0, mx.getCurrentThreadCpuTime() - cpu0});
            } while (!r.finished());
            long wall = System.nanoTime() - t0, cpu = mx.getCurrentThreadCpuTime() - cpu0;
            long insns = m.hart.instructionsRetired();
            if (!r.passed()) throw new IllegalStateException("benchmark failed: " + r.output());
            long[] mid = samples.get(samples.size() / 2), last = samples.getLast();
            double steady = (last[0] - mid[0]) / ((last[1] - mid[1]) / 1e3);
            double steadyCpu = (last[0] - mid[0]) / ((last[2] - mid[2]) / 1e3);
            System.out.printf("orrery run %d: %d instructions, wall %.3f s, cpu %.3f s, %.1f MIPS (wall), %.1f MIPS (machine-thread cpu),"
                    + " steady state %.1f MIPS (second half; %.1f per cpu-second) -- %s", i + 1, insns, wall / 1e9, cpu / 1e9,
                    insns / (wall / 1e3), insns / (cpu / 1e3), steady, steadyCpu, r.output());
            if (m.hart.translationStatistics() != null) System.out.println("  " + m.hart.translationStatistics());
            if (i == 0) firstWall = wall / 1e9;
            bestSteady = Math.max(bestSteady, steady);
        }
        System.out.printf("orrery-summary first-run-wall=%.3f best-steady-mips=%.1f%n", firstWall, bestSteady);
    }
}
