package org.orrery.cpu.riscv.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.testing.FirmwareImages;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.Acceleration;

/**
 * Guest time of Debian's OpenSBI + U-Boot up to the autoboot prompt on the bare hart (no container start-up):
 * wall time, the process's CPU time (JIT compiler threads included) and the translator's figures.
 * Usage: FirmwareBootBenchmark [runs] [translator|interpreter]
 */
public final class FirmwareBootBenchmark {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        boolean translate = args.length <= 1 || !args[1].equals("interpreter");
        Path dtb = FirmwareImages.virtDtb();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int i = 0; i < runs; i++) {
            TestMachine m = FirmwareImages.boot(new TestMachine(RiscvConfig.rv64gc(0, TestMachine.RAM_BASE),
                    translate ? Acceleration.DEFAULT : Acceleration.INTERPRETER), Path.of(dtb.toString()));
            long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            while (!m.output().contains("Hit any key to stop autoboot")) m.run(2_000_000L);
            long wall = System.nanoTime() - t0, cpu = os.getProcessCpuTime() - cpu0;
            System.out.printf("run %d: prompt after %d instructions, wall %.3f s, process cpu %.3f s%n", i + 1,
                    m.hart.instructionsRetired(), wall / 1e9, cpu / 1e9);
            if (m.hart.translationStatistics() != null) System.out.println("  " + m.hart.translationStatistics());
        }
    }
}
