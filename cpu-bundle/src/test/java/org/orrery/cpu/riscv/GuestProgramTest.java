package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import java.util.stream.Stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.orrery.cpu.riscv.testing.GuestBuild;
import org.orrery.cpu.riscv.testing.Qemu;
import org.orrery.cpu.riscv.testing.TestMachine;

/**
 * Self-checking guest programs, compiled at test time, run on Orrery's hart and on QEMU; both must pass
 * and print exactly the same thing.
 */
class GuestProgramTest {
    static Stream<Arguments> programsOnEachEngine() {
        return Stream.of("isa", "fp", "priv").flatMap(p -> Stream.of(Engine.values()).map(e -> Arguments.of(p, e)));
    }

    @ParameterizedTest(name = "{0} on the {1}")
    @MethodSource("programsOnEachEngine")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void runsLikeQemu(String program, Engine engine) throws Exception {
        Path elf = GuestBuild.build(program);
        CompletableFuture<Qemu.Run> qemu = Qemu.start(elf, 60);
        TestMachine m = new TestMachine(engine);
        m.loadElf(elf);
        TestMachine.Result r = m.run(200_000_000L);
        Qemu.Run q = qemu.get(70, TimeUnit.SECONDS);
        assertTrue(r.passed(), () -> program + " did not pass on Orrery (finisher " + r.finisher() + ", "
            + r.instructions() + " instructions):\n" + r.output());
        assertFalse(q.timedOut(), () -> program + " timed out on QEMU:\n" + q.output());
        assertEquals(q.output(), r.output(), () -> program + ": Orrery's output differs from QEMU's:\n" + diff(q.output(), r.output()));
        if (engine == Engine.TRANSLATOR) m.assertMostlyTranslated(0.5);
    }

    /** The lines that differ, as "qemu | orrery". */
    static String diff(String qemu, String orrery) {
        String[] a = qemu.split("\n", -1), b = orrery.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "<none>", y = i < b.length ? b[i] : "<none>";
            if (!x.equals(y)) sb.append("  qemu: ").append(x).append("\n  ours: ").append(y).append('\n');
        }
        return sb.toString();
    }
}
