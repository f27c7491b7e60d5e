package org.orrery.device.virtioinput.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.GlobalProperties;
import org.orrery.qom.QObject;
import org.orrery.qom.Value;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Plays the virtio-input driver (virtio 1.2, 5.8) over virtio-mmio, with events sent through the console layer. */
class VirtioInputTest {
    static final long RAM = 0x80000000L, DESC = RAM, AVAIL = RAM + 0x1000, USED = RAM + 0x2000, EVENTS = RAM + 0x10000;
    static final int QSIZE = 8;
    TestMachine m;
    AddressSpace bus;
    SplitRing ring;
    int offered, seen;

    @BeforeEach void setUp() {
        m = new TestMachine(ComponentScan.typeProviders());
        bus = m.systemMemory();
        ring = new SplitRing(bus);
        m.mapRam(RAM, 1 << 20);
        m.tree().globals().add(new GlobalProperties.Global("virtio-mmio", "force-legacy", "off"));
        for (int i = 0; i < 2; i++) {
            long base = 0x10001000L + 0x1000L * i;
            QObject t = m.create("/machine/soc/virtio_mmio@" + Long.toHexString(base), "virtio-mmio");
            t.setProperty("addr", Value.ofText("addr", "" + base));
            t.setProperty("irq", Value.ofText("irq", "" + (1 + i)));
            t.realize();
        }
    }

    /** Plugs a device of {@code type}; returns the base of its transport. */
    long plug(String type) {
        QObject d = m.create("/machine/peripheral/" + type, type);
        d.realize();
        for (long base = 0x10001000L; base <= 0x10002000L; base += 0x1000)
            if (bus.read(base + 8, 4) == 18) return base;
        throw new AssertionError("no transport has the device");
    }

    /** Config space: select, subsel, then size and data. */
    byte[] config(long t, int select, int subsel) {
        bus.write(t + 0x100, 1, select);
        bus.write(t + 0x101, 1, subsel);
        int size = (int) bus.read(t + 0x102, 1);
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) bus.read(t + 0x108 + i, 1);
        return b;
    }

    /** Brings the event queue up with {@code buffers} 8-byte buffers. */
    void driver(long t, int buffers) {
        bus.write(t + 0x70, 4, 0);
        bus.write(t + 0x70, 4, 3);
        bus.write(t + 0x24, 4, 1);
        bus.write(t + 0x20, 4, 1);
        bus.write(t + 0x70, 4, 11);
        bus.write(t + 0x30, 4, 0);
        bus.write(t + 0x38, 4, QSIZE);
        bus.write(t + 0x80, 4, DESC);
        bus.write(t + 0x90, 4, AVAIL);
        bus.write(t + 0xa0, 4, USED);
        bus.write(t + 0x44, 4, 1);
        bus.write(t + 0x70, 4, 15);
        give(t, buffers);
    }

    void give(long t, int buffers) {
        for (int i = 0; i < buffers; i++) {
            int slot = offered % QSIZE;
            ring.descriptor(DESC, slot, EVENTS + 8L * slot, 8, SplitRing.WRITE, 0);
            ring.offer(AVAIL, QSIZE, offered++, slot);
        }
        bus.write(t + 0x50, 4, 0);
    }

    /** The events the device has returned since the last call, as "type code value". */
    List<String> events() {
        List<String> out = new ArrayList<>();
        int used = (int) bus.read(USED + 2, 2);
        for (; seen != used; seen = (seen + 1) & 0xffff) {
            int head = (int) bus.read(USED + 4 + 8L * (seen % QSIZE), 4);
            long e = EVENTS + 8L * head;
            out.add(bus.read(e, 2) + " " + bus.read(e + 2, 2) + " " + (int) bus.read(e + 4, 4));
        }
        return out;
    }

    @Test void theKeyboardDescribesItselfAndPassesKeys() {
        long t = plug("virtio-keyboard-device");
        assertEquals("QEMU Virtio Keyboard", new String(config(t, 1, 0), StandardCharsets.US_ASCII));
        byte[] keys = config(t, 0x11, 1);
        assertTrue((keys[30 / 8] & (1 << (30 % 8))) != 0, "KEY_A is offered");
        assertEquals(0, config(t, 0x11, 2).length, "no relative axes");
        driver(t, QSIZE);
        Consoles.of(m.tree()).sendKey(30, true);
        Consoles.of(m.tree()).sendKey(30, false);
        assertEquals(List.of("1 30 1", "0 0 0", "1 30 0", "0 0 0"), events());
        assertTrue(m.irqRaises(1) + m.irqRaises(2) > 0, "the driver was interrupted");
    }

    @Test void eventsWaitForBuffersAndTheQueueIsBounded() {
        long t = plug("virtio-keyboard-device");
        driver(t, 2);
        for (int i = 0; i < 2000; i++) Consoles.of(m.tree()).sendKey(2 + i % 10, i % 2 == 0);
        assertEquals(2, events().size());
        VirtioInput kbd = (VirtioInput) m.tree().resolve("/machine/peripheral/virtio-keyboard-device");
        assertEquals(VirtioInput.MAX_PENDING, kbd.pendingEvents(), "the oldest were dropped");
        give(t, 3);
        assertEquals(3, events().size(), "new buffers take waiting events at once");
    }

    @Test void theTabletSendsAbsoluteCoordinatesButtonsAndTheWheel() {
        long t = plug("virtio-tablet-device");
        byte[] abs = config(t, 0x12, 0);
        assertEquals(0x7fff, java.nio.ByteBuffer.wrap(abs).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4), "ABS_X max");
        driver(t, QSIZE);
        Consoles.of(m.tree()).sendPointer(100, 200, 1, 0);
        assertEquals(List.of("3 0 100", "3 1 200", "1 272 1", "0 0 0"), events());
        Consoles.of(m.tree()).sendPointer(100, 200, 0, -1);
        assertEquals(List.of("1 272 0", "2 8 -1", "0 0 0"), events());
    }

    @Test void keysGoToTheKeyboardNotTheTablet() {
        plug("virtio-tablet-device");
        assertFalse(Consoles.of(m.tree()).hasReceiver(org.orrery.machine.display.InputReceiver.Kind.KEYBOARD));
        assertTrue(Consoles.of(m.tree()).hasReceiver(org.orrery.machine.display.InputReceiver.Kind.POINTER));
        m.tree().resolve("/machine/peripheral/virtio-tablet-device").unrealize();
        assertFalse(Consoles.of(m.tree()).hasReceiver(org.orrery.machine.display.InputReceiver.Kind.POINTER), "gone with the device");
    }
}
