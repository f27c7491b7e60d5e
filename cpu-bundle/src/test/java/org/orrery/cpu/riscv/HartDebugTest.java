package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;

/** Registers, CSRs, memory, breakpoints, watchpoints, single-stepping, WFI and requestExit. */
class HartDebugTest {
    static final long B = TestMachine.RAM_BASE;

    private static TestMachine program(Engine engine) {
        TestMachine m = new TestMachine(engine);
        m.poke32(B,
            0x00500093,   // 0: addi x1, x0, 5
            0x00708113,   // 4: addi x2, x1, 7
            0x0021a023,   // 8: sw x2, 0(x3)
            0x00108093,   // c: addi x1, x1, 1
            0xffdff06f);  // 10: jal x0, -4 (back to c)
        m.hart.debug().setGpr(3, B + 0x1000);
        m.hart.debug().setPc(B);
        return m;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void singleStepBreakpointsAndRegisters(Engine engine) {
        TestMachine m = program(engine);
        HartDebug d = m.hart.debug();
        assertEquals("riscv:rv64", d.architecture());
        assertEquals(64, d.xlen());
        d.setSingleStep(true);
        assertEquals(StopReason.STEP, m.hart.run(100));
        assertEquals(B + 4, d.pc());
        assertEquals(5, d.gpr(1));
        d.setSingleStep(false);
        d.addBreakpoint(B + 8);
        assertEquals(StopReason.BREAKPOINT, m.hart.run(100));
        assertEquals(B + 8, d.pc());
        assertEquals(12, d.gpr(2));
        assertEquals(0, m.bus.read(B + 0x1000, 4), "the instruction at a breakpoint has not run");
        // resuming executes the instruction under the breakpoint
        assertEquals(StopReason.BUDGET, m.hart.run(50));
        assertEquals(12, m.bus.read(B + 0x1000, 4));
        d.removeBreakpoint(B + 8);
        d.setGpr(0, 99);
        assertEquals(0, d.gpr(0));
        d.setFpr(3, 0x4000000000000000L);
        assertEquals(0x4000000000000000L, d.fpr(3));
        assertEquals(3, d.privilege());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void watchpointStopsBeforeTheAccess(Engine engine) {
        // gdb on RISC-V expects the hart to stop on the accessing instruction, with memory unchanged;
        // it then removes the watchpoint, steps over the instruction and compares the values itself
        TestMachine m = program(engine);
        HartDebug d = m.hart.debug();
        byte[] before = new byte[4];
        d.readMemory(B + 0x1000, before, 0, 4);
        d.addWatchpoint(B + 0x1000, 4, 2);
        assertEquals(StopReason.WATCHPOINT, m.hart.run(100));
        assertEquals(B + 0x1000, d.lastWatchpointAddress());
        assertEquals(B + 0x8, d.pc(), "the pc is on the store");
        byte[] now = new byte[4];
        d.readMemory(B + 0x1000, now, 0, 4);
        assertArrayEquals(before, now, "the store has not happened yet");
        d.removeWatchpoint(B + 0x1000, 4, 2);
        assertEquals(StopReason.BUDGET, m.hart.run(100));
        d.readMemory(B + 0x1000, now, 0, 4);
        assertFalse(java.util.Arrays.equals(before, now), "once resumed, the store happens");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void csrsAndMemoryThroughTheDebugger(Engine engine) {
        TestMachine m = program(engine);
        HartDebug d = m.hart.debug();
        assertNull(d.csr(0x7ff));
        assertFalse(d.setCsr(0x7ff, 1));
        assertTrue(d.setCsr(0x340, 0x1234));
        assertEquals(0x1234L, d.csr(0x340));
        assertEquals(0L, d.csr(0xf14));
        assertEquals(B + 0x40, d.translate(B + 0x40));
        byte[] data = {1, 2, 3, 4, 5};
        assertEquals(5, d.writeMemory(B + 0x2000, data, 0, 5));
        byte[] back = new byte[5];
        assertEquals(5, d.readMemory(B + 0x2000, back, 0, 5));
        assertArrayEquals(data, back);
        assertEquals(0, d.readMemory(0x9000_0000L, back, 0, 5), "unmapped memory reads nothing");
        // patching code through the debugger replaces already decoded instructions
        assertEquals(StopReason.BUDGET, m.hart.run(20));
        d.writeMemory(B + 0xc, new byte[] {(byte) 0x93, (byte) 0x80, 0x20, 0x00}, 0, 4); // addi x1, x1, 2
        d.setGpr(1, 0);
        d.setPc(B + 0xc);
        m.hart.run(3);   // addi, jal, addi
        assertEquals(4, d.gpr(1));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void wfiWaitsUntilAnInterruptIsPending(Engine engine) {
        TestMachine m = new TestMachine(engine);
        m.poke32(B, 0x08000293, 0x30429073, 0x10500073, 0x0000006f); // li t0, 0x80; csrw mie, t0; wfi; j .
        m.hart.debug().setPc(B);
        assertEquals(StopReason.WAITING_FOR_INTERRUPT, m.hart.run(100));
        assertTrue(m.hart.waitingForInterrupt());
        assertEquals(StopReason.WAITING_FOR_INTERRUPT, m.hart.run(100));
        m.hart.interruptPin(InterruptPin.MTIP).raise();
        assertFalse(m.hart.waitingForInterrupt());
        assertEquals(StopReason.BUDGET, m.hart.run(100));
        assertEquals(B + 12, m.hart.debug().pc(), "MIE is clear: no trap, execution continues after WFI");
        m.hart.requestExit();
        assertEquals(StopReason.EXIT_REQUESTED, m.hart.run(100));
    }
}
