package org.orrery.cpu.riscv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.testing.Engine;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.HartState;

/**
 * A hart made again (its CPU bundle returned) takes over the old one's state: a translating hart runs a random
 * program for a while, an interpreting hart on a copy of its memory takes its saved state, and from there the
 * two run in lock step (see {@link Lockstep}): any state not carried over shows as a difference.
 */
class HartStateTest {
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 17, 2024})
    void aHartThatTakesTheStateRunsOnExactlyAsTheOldOne(long seed) {
        TestMachine old = new TestMachine(Engine.TRANSLATOR), successor = new TestMachine(Engine.INTERPRETER);
        RandomProgram.load(old, seed);
        RandomProgram.load(successor, seed);
        old.run(150_000);
        RiscvHart a = (RiscvHart) old.hart, b = (RiscvHart) successor.hart;
        assertTrue(a.retired > 100_000, "the program ran: " + a.retired);

        successor.ram.copyFrom(old.ram);
        successor.clock.advanceTo(old.clock.nanos());
        HartState saved = old.hart.saveState();
        successor.hart.restoreState(saved);
        b.trapsTaken = a.trapsTaken;   // a statistic, not state: Lockstep counts attempts with it
        assertEquals(saved, successor.hart.saveState(), "what was taken over reads back the same");

        new Lockstep(old, successor, seed).run(a.retired + 200_000, () -> false);
    }

    @Test void aHartOfAnotherIsaRefusesTheState() {
        HartState rv64 = new TestMachine(Engine.INTERPRETER).hart.saveState();
        TestMachine rv32 = new TestMachine(RiscvConfig.rv32gc(0, TestMachine.RAM_BASE));
        var e = assertThrows(IllegalArgumentException.class, () -> rv32.hart.restoreState(rv64));
        assertTrue(e.getMessage().contains("cannot take a state saved as riscv-hart/1"), e.getMessage());
    }
}
