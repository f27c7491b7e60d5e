package org.orrery.device.uart.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.BufferChardev;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.QObject;

import static org.junit.jupiter.api.Assertions.*;

class Ns16550aTest {
    static final long BASE = 0x10000000L;
    TestMachine m;
    AddressSpace bus;
    BufferChardev chr;
    QObject uart;

    @BeforeEach void setUp() {
        m = new TestMachine(new Ns16550a.Type());
        bus = m.systemMemory();
        chr = (BufferChardev) m.create("/chardevs/serial0", "chardev-buffer");
        chr.realize();
        uart = m.realized("/machine/soc/serial@10000000", "ns16550a", "addr=0x10000000", "irq=10", "chardev=serial0");
    }

    int r(int reg) { return (int) bus.read(BASE + reg, 1); }
    void w(int reg, int v) { bus.write(BASE + reg, 1, v); }

    @Test void theTypeHasTheDevicePropertiesOnce() {
        assertEquals(java.util.List.of("addr", "irq", "chardev", "reg-shift", "clock-frequency"),
                new Ns16550a.Type().describe().properties().stream().map(p -> p.name()).toList());
    }

    @Test void unrealizeLowersTheLineAndUnmaps() {
        w(1, 2); // IER.THRI with THR empty: the line rises
        assertTrue(m.irqLevel(10));
        uart.unrealize();
        assertFalse(m.irqLevel(10));
        assertTrue(bus.root().subregions().stream().noneMatch(p -> p.region().name().equals("ns16550a@10000000")));
    }

    @Test void powerOnState() {
        assertEquals(0x60, r(5), "LSR: THRE and TEMT");
        assertEquals(0x01, r(2), "IIR: no interrupt, FIFOs off");
        assertEquals(0xb0, r(6), "MSR: DCD, DSR, CTS");
        assertFalse(m.irqLevel(10));
    }

    @Test void transmitsToTheChardev() {
        for (char c : "hello".toCharArray()) w(0, c);
        assertEquals("hello", chr.output());
        assertEquals(0x60, r(5) & 0x60);
    }

    @Test void thrInterruptRaisedOnEnableAndClearedByIirRead() {
        w(1, 0x02);
        assertTrue(m.irqLevel(10));
        assertEquals(0x02, r(2));
        assertFalse(m.irqLevel(10));
        assertEquals(0x01, r(2));
        w(0, 'x');
        assertTrue(m.irqLevel(10), "THR empty again after the byte went out");
    }

    @Test void receiveFifoAndDataInterrupt() {
        w(2, 0x01 | 0x40); // FIFO on, trigger level 4
        w(1, 0x01);
        assertEquals(16, uart instanceof Ns16550a u ? u.canReceive() : -1);
        chr.type("ab");
        assertTrue(m.irqLevel(10));
        assertEquals(0xcc, r(2), "character timeout below the trigger level, FIFO bits set");
        chr.type("cd");
        assertEquals(0xc4, r(2), "received data at the trigger level");
        assertEquals(1, r(5) & 1);
        assertEquals('a', r(0));
        assertEquals('b', r(0));
        assertEquals('c', r(0));
        assertEquals('d', r(0));
        assertEquals(0, r(5) & 1);
        assertFalse(m.irqLevel(10));
        assertTrue(chr.readyCalls() > 0, "the backend is told when FIFO space frees up");
    }

    @Test void overrunWhenFifoFull() {
        w(2, 0x01);
        assertEquals(16, chr.type("0123456789abcdefXYZ"));
        Ns16550a u = (Ns16550a) uart;
        u.receive(new byte[]{'!'}, 0, 1);
        w(1, 0x04);
        assertEquals(0xc6, r(2), "line status interrupt has the highest priority");
        assertEquals(0x02, r(5) & 0x02, "overrun error");
        assertEquals(0, r(5) & 0x02, "cleared by reading LSR");
    }

    @Test void divisorLatch() {
        w(3, 0x80);
        w(0, 0x34);
        w(1, 0x12);
        assertEquals(0x34, r(0));
        assertEquals(0x12, r(1));
        w(3, 0x03);
        assertEquals(0, r(1), "IER untouched by divisor writes");
    }

    @Test void scratchAndLoopback() {
        w(7, 0x5a);
        assertEquals(0x5a, r(7));
        w(4, 0x10 | 0x02 | 0x01); // loop, RTS, DTR
        assertEquals(0x30, r(6) & 0xf0, "CTS and DSR follow RTS and DTR");
        w(0, 'Q');
        assertEquals("", chr.output(), "loopback output stays inside");
        assertEquals('Q', r(0));
    }

    @Test void backPressureKeepsBytesAndRetries() {
        w(2, 0x01);
        chr.setCapacity(0);
        w(0, 'a');
        w(0, 'b');
        assertEquals(0, r(5) & 0x20, "THRE clear while the backend holds us up");
        chr.setCapacity(100);
        ((Ns16550a) uart).outputReady();
        assertEquals("ab", chr.output());
        assertEquals(0x60, r(5) & 0x60);
        chr.setCapacity(0);
        w(0, 'c');
        chr.setCapacity(100);
        m.manualClock().advance(Ns16550a.RETRY_NANOS);
        assertEquals("abc", chr.output(), "retried on the timer as well");
    }

    @Test void undefinedOffsetsReadZero() {
        assertEquals(0, bus.read(BASE + 0x20, 4));
        bus.write(BASE + 0x40, 4, 123);
    }

    @Test void resetRestoresPowerOnState() {
        w(1, 0x0f);
        w(3, 0x1b);
        w(7, 1);
        ((Ns16550a) uart).reset();
        assertEquals(0, r(1));
        assertEquals(0, r(3));
        assertEquals(0x60, r(5));
    }

    @Test void deviceTreeNode() {
        var ctx = new org.orrery.device.testing.SimpleDtContext();
        ((Ns16550a) uart).contributeDeviceTree(ctx);
        var n = ctx.soc().child("serial@10000000");
        assertNotNull(n);
        assertEquals("ns16550a", n.stringProperty("compatible"));
        assertArrayEquals(new byte[]{0, 0x38, 0x40, 0}, n.property("clock-frequency"));
    }
}
