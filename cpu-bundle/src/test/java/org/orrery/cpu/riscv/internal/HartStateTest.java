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
import org.orrery.machine.cpu.InterruptPin;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    /**
     * A machine restored from a state where a hart sat in WFI parks that hart's thread before it ever runs a
     * slice; an interrupt raised then from another thread (a device on the machine thread) must still wake it.
     */
    @Test void aHartRestoredIntoWfiIsWokenByAnInterruptFromAnotherThreadBeforeItsFirstSlice() throws Exception {
        TestMachine source = new TestMachine(Engine.INTERPRETER);
        Map<String, Long> values = new HashMap<>(source.hart.saveState().values());
        values.put("waiting", 1L);
        values.put("mie", 1L << InterruptPin.SEIP.mipBit());
        TestMachine restored = new TestMachine(Engine.INTERPRETER);
        restored.hart.restoreState(new HartState(source.hart.saveState().format(), values));
        CountDownLatch woken = new CountDownLatch(1);
        restored.hart.setWakeListener(woken::countDown);
        assertTrue(restored.hart.waitingForInterrupt(), "the restored hart waits for an interrupt");

        Thread device = new Thread(() -> restored.hart.interruptPin(InterruptPin.SEIP).raise(), "a device on the machine thread");
        device.start();
        device.join();

        assertTrue(woken.await(10, TimeUnit.SECONDS), "the parked thread was told to look again");
        assertTrue(!restored.hart.waitingForInterrupt(), "the enabled external interrupt ends the wait");
    }
}
