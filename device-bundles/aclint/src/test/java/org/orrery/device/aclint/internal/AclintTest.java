package org.orrery.device.aclint.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.FakeCpu;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.testing.FakeHart;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import static org.junit.jupiter.api.Assertions.*;

class AclintTest {
    static final long CLINT = 0x2000000L, MTIMER = CLINT + 0x4000, MTIME = MTIMER + 0x7ff8;
    TestMachine m;
    AddressSpace bus;
    FakeHart h0, h1;
    AclintSwi swi;
    AclintMtimer timer;

    @BeforeEach void setUp() {
        m = new TestMachine(new AclintSwi.Type(), new AclintMtimer.Type()).withFakeCpu("rv64");
        bus = m.systemMemory();
        for (int i = 0; i < 2; i++) {
            QObject c = m.create("/machine/soc0/harts[" + i + "]", "rv64");
            c.setProperty("hartid", Value.ofText("hartid", "" + i));
            c.realize();
        }
        h0 = ((FakeCpu) m.tree().resolve("/machine/soc0/harts[0]")).fakeHart();
        h1 = ((FakeCpu) m.tree().resolve("/machine/soc0/harts[1]")).fakeHart();
        swi = (AclintSwi) make("riscv.aclint.swi", "/machine/soc/aclint-swi", CLINT);
        timer = (AclintMtimer) make("riscv.aclint.mtimer", "/machine/soc/aclint-mtimer", MTIMER);
    }

    QObject make(String type, String path, long addr) {
        QObject o = m.create(path, type);
        o.setProperty("addr", Value.ofText("addr", "" + addr));
        o.setProperty("num-harts", Value.ofText("num-harts", "2"));
        o.setProperty("sifive-clint", Value.ofText("sifive-clint", "on"));
        o.realize();
        return o;
    }

    @Test void msipDrivesMachineSoftwareInterrupt() {
        bus.write(CLINT + 4, 4, 1);
        assertTrue(h1.pin(InterruptPin.MSIP));
        assertFalse(h0.pin(InterruptPin.MSIP));
        assertEquals(1, bus.read(CLINT + 4, 4));
        bus.write(CLINT + 4, 4, 0xfffffffeL);
        assertFalse(h1.pin(InterruptPin.MSIP));
        assertEquals(0, bus.read(CLINT + 4, 4), "only bit 0 is implemented");
    }

    @Test void mtimeCountsAt10MHzOfVirtualTime() {
        assertEquals(0, bus.read(MTIME, 8));
        m.manualClock().advance(1_000_000); // 1 ms
        assertEquals(10_000, bus.read(MTIME, 8));
        assertEquals(10_000, bus.read(MTIME, 4), "low half");
        assertEquals(0, bus.read(MTIME + 4, 4), "high half");
    }

    @Test void mtimecmpRaisesMtipWhenReached() {
        assertFalse(h0.pin(InterruptPin.MTIP), "no deadline after reset");
        bus.write(MTIMER, 8, 500); // 50 us
        assertFalse(h0.pin(InterruptPin.MTIP));
        m.manualClock().advance(49_999);
        assertFalse(h0.pin(InterruptPin.MTIP));
        m.manualClock().advance(1);
        assertTrue(h0.pin(InterruptPin.MTIP));
        assertFalse(h1.pin(InterruptPin.MTIP));
        bus.write(MTIMER, 8, -1L);
        assertFalse(h0.pin(InterruptPin.MTIP), "lowered when the deadline moves past mtime");
    }

    @Test void thirtyTwoBitHalvesOfMtimecmp() {
        m.manualClock().advance(1_000);
        bus.write(MTIMER + 8 + 4, 4, 0xffffffffL); // hart 1 high half: still in the future
        bus.write(MTIMER + 8, 4, 0);
        assertFalse(h1.pin(InterruptPin.MTIP));
        bus.write(MTIMER + 8 + 4, 4, 0);
        assertTrue(h1.pin(InterruptPin.MTIP), "deadline 0 is in the past");
        assertEquals(0, bus.read(MTIMER + 8, 8));
    }

    @Test void writingMtimeMovesTheTimeline() {
        bus.write(MTIMER, 8, 1_000_000);
        bus.write(MTIME, 8, 999_990);
        assertFalse(h0.pin(InterruptPin.MTIP));
        m.manualClock().advance(1_000);
        assertTrue(h0.pin(InterruptPin.MTIP));
        assertEquals(1_000_000, bus.read(MTIME, 8));
    }

    @Test void resetClearsDeadlinesAndPins() {
        bus.write(MTIMER, 8, 0);
        bus.write(CLINT, 4, 1);
        assertTrue(h0.pin(InterruptPin.MTIP));
        swi.reset();
        timer.reset();
        assertFalse(h0.pin(InterruptPin.MTIP));
        assertFalse(h0.pin(InterruptPin.MSIP));
        assertEquals(0, m.manualClock().armedTimers());
    }

    @Test void clintDeviceTreeNodeAsQemu() {
        SimpleDtContext ctx = new SimpleDtContext(2);
        swi.contributeDeviceTree(ctx);
        timer.contributeDeviceTree(ctx);
        var n = ctx.soc().child("clint@2000000");
        assertNotNull(n);
        assertEquals(1, ctx.soc().children().size(), "one node for the CLINT pair");
        assertEquals("sifive,clint0", n.stringProperty("compatible"));
        assertArrayEquals(new byte[]{0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 7},
                n.property("interrupts-extended"));
    }

    @Test void missingHartIsAClearError() {
        QObject o = m.create("/machine/soc/bad", "riscv.aclint.swi");
        o.setProperty("addr", Value.ofText("addr", "0x3000000"));
        o.setProperty("hartid-base", Value.ofText("hartid-base", "5"));
        QomException e = assertThrows(QomException.class, o::realize);
        assertTrue(e.getMessage().contains("hartid 5"), e.getMessage());
    }

    @Test void undefinedOffsetReadsZero() {
        assertEquals(0, bus.read(CLINT + 0x100, 4));
    }
}
