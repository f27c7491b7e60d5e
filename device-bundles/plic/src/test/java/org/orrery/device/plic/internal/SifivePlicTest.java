package org.orrery.device.plic.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.FakeCpu;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.testing.FakeHart;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import static org.junit.jupiter.api.Assertions.*;

class SifivePlicTest {
    static final long B = 0xc000000L;
    static final long PRIO = B, PENDING = B + 0x1000, EN0 = B + 0x2000, EN1 = B + 0x2080;
    static final long THR0 = B + 0x200000, CLAIM0 = THR0 + 4, THR1 = B + 0x201000, CLAIM1 = THR1 + 4;
    TestMachine m;
    AddressSpace bus;
    FakeHart hart;
    SifivePlic plic;

    @BeforeEach void setUp() {
        m = new TestMachine(new SifivePlic.Type()).withFakeCpu("rv64");
        bus = m.systemMemory();
        QObject c = m.create("/machine/soc0/harts[0]", "rv64");
        c.realize();
        hart = ((FakeCpu) c).fakeHart();
        plic = (SifivePlic) m.create("/machine/soc/plic@c000000", "riscv.sifive.plic");
        plic.setProperty("addr", Value.ofText("addr", "0xc000000"));
        plic.realize();
    }

    long r(long a) { return bus.read(a, 4); }
    void w(long a, long v) { bus.write(a, 4, v); }

    @Test void claimCompleteCycleDrivesMeip() {
        IrqLine uart = plic.input(10);
        w(PRIO + 4 * 10, 1);
        w(EN0, 1 << 10);
        uart.raise();
        assertEquals(1 << 10, r(PENDING));
        assertTrue(hart.pin(InterruptPin.MEIP));
        assertFalse(hart.pin(InterruptPin.SEIP), "not enabled in the S context");
        assertEquals(10, r(CLAIM0));
        assertFalse(hart.pin(InterruptPin.MEIP), "in flight after claim");
        assertEquals(0, r(PENDING));
        assertEquals(0, r(CLAIM0), "nothing else to claim");
        w(CLAIM0, 10);
        assertTrue(hart.pin(InterruptPin.MEIP), "line still high: pending again after completion");
        assertEquals(10, r(CLAIM0));
        uart.lower();
        w(CLAIM0, 10);
        assertFalse(hart.pin(InterruptPin.MEIP));
        assertEquals(0, r(PENDING));
    }

    @Test void priorityAndThreshold() {
        w(PRIO + 4 * 1, 2);
        w(PRIO + 4 * 2, 5);
        w(PRIO + 4 * 3, 5);
        w(EN1, 0b1110);
        plic.input(1).raise();
        plic.input(3).raise();
        plic.input(2).raise();
        assertTrue(hart.pin(InterruptPin.SEIP));
        w(THR1, 5);
        assertFalse(hart.pin(InterruptPin.SEIP), "nothing above threshold 5");
        w(THR1, 4);
        assertEquals(2, r(CLAIM1), "priority 5, lowest id wins the tie");
        assertEquals(3, r(CLAIM1));
        assertEquals(0, r(CLAIM1), "source 1 is below the threshold");
        w(THR1, 0);
        assertEquals(1, r(CLAIM1));
    }

    @Test void priorityZeroNeverInterrupts() {
        w(EN0, 1 << 5);
        plic.input(5).raise();
        assertFalse(hart.pin(InterruptPin.MEIP));
        assertEquals(1 << 5, r(PENDING), "pending nonetheless");
    }

    @Test void registersAreWarl() {
        w(PRIO + 4, 9);
        assertEquals(0, r(PRIO + 4), "above num-priorities: ignored");
        w(PRIO + 4, 7);
        assertEquals(7, r(PRIO + 4));
        w(EN0, 0xffffffffL);
        assertEquals(0xfffffffeL, r(EN0), "source 0 cannot be enabled");
        w(EN0 + 8, 0xffffffffL);
        assertEquals(0xffffffffL, r(EN0 + 8), "sources 64..95 exist");
        assertEquals(0, r(EN0 + 12), "no word for sources 96..127");
    }

    @Test void completionOfDisabledSourceIsIgnored() {
        w(PRIO + 4 * 4, 1);
        w(EN0, 1 << 4);
        plic.input(4).raise();
        assertEquals(4, r(CLAIM0));
        w(EN0, 0);
        w(CLAIM0, 4);
        w(EN0, 1 << 4);
        assertEquals(0, r(CLAIM0), "still in flight: the completion was ignored");
        w(CLAIM0, 4);
        assertEquals(4, r(CLAIM0));
    }

    @Test void resetKeepsLinesButClearsConfiguration() {
        w(PRIO + 4 * 7, 3);
        w(EN0, 1 << 7);
        plic.input(7).raise();
        plic.reset();
        assertEquals(0, r(PRIO + 4 * 7));
        assertEquals(0, r(EN0));
        assertEquals(1 << 7, r(PENDING));
        assertFalse(hart.pin(InterruptPin.MEIP));
    }

    @Test void inputRangeIsChecked() {
        assertThrows(QomException.class, () -> plic.input(0));
        assertThrows(QomException.class, () -> plic.input(96));
        assertNotNull(plic.input(95));
    }

    @Test void deviceTreeNodeAsQemu() {
        SimpleDtContext ctx = new SimpleDtContext();
        plic.contributeDeviceTree(ctx);
        var n = ctx.soc().child("plic@c000000");
        assertEquals("sifive,plic-1.0.0", n.stringProperty("compatible"));
        assertArrayEquals(new byte[]{0, 0, 0, 0x60}, n.property("riscv,ndev"));
        int intc = ctx.hartInterruptControllers()[0];
        assertArrayEquals(new byte[]{0, 0, 0, (byte) intc, 0, 0, 0, 11, 0, 0, 0, (byte) intc, 0, 0, 0, 9}, n.property("interrupts-extended"));
        assertArrayEquals(new byte[]{0, 0, 0, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 0, 0}, n.property("reg"));
    }
}
