package org.orrery.cpu.riscv.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.orrery.cpu.riscv.testing.Engine;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.cpu.riscv.testing.FirmwareImages;

/**
 * The translator against the interpreter, in lock step (see {@link Lockstep}): random programs, and Debian's
 * OpenSBI and U-Boot booting to the U-Boot prompt.
 */
class DifferentialTest {
    static LongStream seeds() { return LongStream.rangeClosed(1, 40); }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void randomProgramsRunAlike(long seed) {
        TestMachine dut = new TestMachine(Engine.TRANSLATOR), ref = new TestMachine(Engine.INTERPRETER);
        RandomProgram.load(dut, seed);
        RandomProgram.load(ref, seed);
        Lockstep l = new Lockstep(dut, ref, seed);
        l.run(200_000, () -> false);
        var s = dut.hart.translationStatistics();
        assertTrue(s.translations() > 0, () -> "nothing was translated: " + s);
        translated.addAndGet(s.translatedInstructions());
        interpreted.addAndGet(s.interpretedInstructions());
    }

    private static final AtomicLong translated = new AtomicLong(), interpreted = new AtomicLong();

    /** The random programs as a whole must run mostly translated, or the comparison proves little. */
    @AfterAll
    static void randomProgramsRanMostlyTranslated() {
        long t = translated.get(), i = interpreted.get();
        if (t + i > 0) assertTrue(t > i, "random programs ran " + t + " instructions translated and " + i + " interpreted");
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void firmwareBootsAlike() throws Exception {
        Path dtb = FirmwareImages.virtDtb();
        TestMachine dut = FirmwareImages.boot(Engine.TRANSLATOR, dtb), ref = FirmwareImages.boot(Engine.INTERPRETER, dtb);
        Lockstep l = new Lockstep(dut, ref, 42);
        l.run(1_500_000_000L, () -> dut.output().contains("Hit any key to stop autoboot"));
        assertTrue(dut.output().contains("Hit any key to stop autoboot"), () -> "U-Boot's prompt never came:\n" + dut.output());
        var s = dut.hart.translationStatistics();
        assertTrue(s.translatedInstructions() > s.interpretedInstructions(), () -> "the firmware barely ran translated: " + s);
        System.out.println("firmware in lock step: " + l.steps() + " steps compared; " + s);
    }
}
