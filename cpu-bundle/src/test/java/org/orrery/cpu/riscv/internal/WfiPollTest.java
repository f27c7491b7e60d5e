package org.orrery.cpu.riscv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.orrery.cpu.riscv.testing.Engine;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;

/**
 * A guest that polls with WFI while an interrupt it has masked is pending (OpenSBI's secondary harts wait so
 * for Linux to start them): every WFI completes at once, as the spec allows, and the hart's thread pauses
 * between them instead of spinning a host core; a WFI with nothing pending still waits.
 */
class WfiPollTest {
    private static final long B = TestMachine.RAM_BASE;

    @ParameterizedTest
    @EnumSource(Engine.class)
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void pollingWithAMaskedInterruptPendingPausesTheThreadAndGoesOn(Engine engine) {
        TestMachine m = new TestMachine(engine);
        HartDebug d = m.hart.debug();
        RiscvHart h = (RiscvHart) m.hart;
        m.poke32(B, 0x10500073, 0x00150513, 0xff9ff06f);   // 1: wfi; addi a0,a0,1; j 1b
        d.setPc(B);
        d.setCsr(0x304, 1L << 3);                           // mie: MSIE; mstatus.MIE stays 0 (masked in M-mode)
        m.hart.interruptPin(InterruptPin.MSIP).raise();
        m.hart.run(300);
        long iterations = h.x[10];
        assertTrue(iterations >= 90, "the guest went on polling: " + iterations + " iterations");
        assertTrue(h.wfiPollPauses >= iterations - 2, h.wfiPollPauses + " pauses in " + iterations + " iterations");
        assertEquals(3, d.privilege(), "no interrupt was taken");
        // with nothing pending the WFI waits: the hart stops at it
        m.hart.interruptPin(InterruptPin.MSIP).lower();
        long pauses = h.wfiPollPauses;
        while (d.pc() != B) m.hart.run(1);
        m.hart.run(100);
        assertTrue(h.waitingForInterrupt(), "a WFI with nothing pending waits");
        assertEquals(pauses, h.wfiPollPauses);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aWireThatMovesEndsThePauseAtOnce(Engine engine) throws Exception {
        TestMachine m = new TestMachine(engine);
        HartDebug d = m.hart.debug();
        RiscvHart h = (RiscvHart) m.hart;
        h.wfiPollPauseNanos = TimeUnit.SECONDS.toNanos(20);
        m.poke32(B, 0x10500073, 0x00150513, 0xff9ff06f);   // 1: wfi; addi a0,a0,1; j 1b
        d.setPc(B);
        d.setCsr(0x304, 1L << 3);                           // mie: MSIE, masked by mstatus.MIE = 0
        m.hart.interruptPin(InterruptPin.MSIP).raise();
        Thread device = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            m.hart.interruptPin(InterruptPin.MTIP).raise();   // a timer fires (not enabled in mie: still polling)
        });
        long t0 = System.nanoTime();
        device.start();
        m.hart.run(5);   // wfi, addi, j, wfi (the second at once: a pause), addi
        long ms = (System.nanoTime() - t0) / 1_000_000;
        device.join();
        assertEquals(1, h.wfiPollPauses);
        assertTrue(ms < 10_000, "the wire ended the 20 s pause: " + ms + " ms");
        assertTrue(ms >= 250, "the pause lasted until the wire moved: " + ms + " ms");
    }
}
