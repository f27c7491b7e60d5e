package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.orrery.cpu.riscv.testing.GuestBuild;
import org.orrery.cpu.riscv.testing.Qemu;
import org.orrery.cpu.riscv.testing.TestMachine;

/** The RV32 variant of the hart runs an RV32IMAFDC program exactly like qemu-system-riscv32. */
class Rv32ProgramTest {
    @ParameterizedTest
    @EnumSource(Engine.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rv32RunsLikeQemu(Engine engine) throws Exception {
        Path elf = GuestBuild.buildRv32("rv32");
        CompletableFuture<Qemu.Run> qemu = Qemu.start("qemu-system-riscv32", elf, 30);
        TestMachine m = new TestMachine(RiscvConfig.rv32gc(0, TestMachine.RAM_BASE), engine);
        m.loadElf(elf);
        TestMachine.Result r = m.run(50_000_000L);
        Qemu.Run q = qemu.get(40, TimeUnit.SECONDS);
        assertTrue(r.passed(), () -> "rv32 did not pass on Orrery (finisher " + r.finisher() + "):\n" + r.output());
        assertEquals(q.output(), r.output(), () -> "rv32 output differs:\n" + GuestProgramTest.diff(q.output(), r.output()));
    }
}
