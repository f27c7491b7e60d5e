package org.orrery.device.virtio.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.backend.NetBackend;
import org.orrery.machine.backend.NetFrontEnd;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.GlobalProperties;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** virtio-net as a driver sees it: features, the MAC and status in the configuration space, frames both ways, set_link. */
class VirtioNetTest {
    static final long T = 0x10008000L, RAM = 0x80000000L;
    static final long RX_DESC = RAM, RX_AVAIL = RAM + 0x1000, RX_USED = RAM + 0x2000;
    static final long TX_DESC = RAM + 0x3000, TX_AVAIL = RAM + 0x4000, TX_USED = RAM + 0x5000, BUF = RAM + 0x10000;
    static final int QSIZE = 16;

    /** A netdev that records what the NIC sends and delivers frames on request. */
    static final class RecordingNetdev extends QObject implements NetBackend {
        final List<byte[]> sent = new ArrayList<>();
        NetFrontEnd nic;
        boolean readyCalled;

        @Override public void attach(NetFrontEnd fe) { nic = fe; }
        @Override public void detach(NetFrontEnd fe) { if (nic == fe) nic = null; }
        @Override public void send(byte[] frame, int offset, int length) { sent.add(Arrays.copyOfRange(frame, offset, offset + length)); }
        @Override public void frontEndReady() { readyCalled = true; }
    }

    TestMachine m;
    AddressSpace bus;
    SplitRing ring;
    RecordingNetdev netdev;
    int rxAvail, txAvail;

    @BeforeEach void setUp() {
        m = new TestMachine(new VirtioTypes().providers())
                .register("netdev", TypeDescription.named("netdev").parent("object").creates(RecordingNetdev::new));
        bus = m.systemMemory();
        ring = new SplitRing(bus);
        m.mapRam(RAM, 1 << 20);
        m.tree().globals().add(new GlobalProperties.Global("virtio-mmio", "force-legacy", "off"));
        for (int i = 1; i >= 0; i--) { // the newest transport takes the first device, as on virt
            long a = T - i * 0x1000L;
            QObject t = m.create("/machine/soc/virtio_mmio@" + Long.toHexString(a), "virtio-mmio");
            t.setProperty("addr", Value.ofText("addr", "" + a));
            t.setProperty("irq", Value.ofText("irq", "" + (8 - i)));
            t.realize();
        }
        netdev = (RecordingNetdev) m.create("/netdevs/n0", "netdev");
        netdev.realize();
    }

    VirtioNet plug(String id, String mac) {
        QObject d = m.create("/machine/peripheral/" + id, "virtio-net-device");
        d.setProperty("netdev", Value.ofText("netdev", "n0"));
        if (mac != null) d.setProperty("mac", Value.ofText("mac", mac));
        d.realize();
        return (VirtioNet) d;
    }

    long r(int off) { return bus.read(T + off, 4); }
    void w(int off, long v) { bus.write(T + off, 4, v); }

    void queue(int index, long desc, long avail, long used) {
        w(0x30, index);
        w(0x38, QSIZE);
        w(0x80, desc); w(0x84, 0);
        w(0x90, avail); w(0x94, 0);
        w(0xa0, used); w(0xa4, 0);
        w(0x44, 1);
    }

    void initialize() {
        w(0x70, 0);
        w(0x70, 1 | 2);
        w(0x24, 1);
        w(0x20, 1); // VERSION_1
        w(0x24, 0);
        w(0x20, (1 << 5) | (1 << 16)); // MAC, STATUS
        w(0x70, 1 | 2 | 8);
        queue(0, RX_DESC, RX_AVAIL, RX_USED);
        queue(1, TX_DESC, TX_AVAIL, TX_USED);
        w(0x70, 1 | 2 | 8 | 4);
    }

    @Test void offersMacAndStatusAndNoOffloads() {
        plug("nic0", null);
        w(0x14, 0);
        long low = r(0x10);
        assertEquals((1L << 5) | (1L << 16), low & ((1L << 5) | (1L << 16)));
        for (int bit : new int[]{0, 1, 11, 15, 17}) assertEquals(0, low & (1L << bit), "feature bit " + bit + " not offered");
        assertEquals(1, r(8), "device id: network");
    }

    @Test void configurationHoldsTheMacAndTheLinkAndMacsDefaultAsQemu() {
        VirtioNet a = plug("nic0", null);
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) mac[i] = (byte) bus.read(T + 0x100 + i, 1);
        assertArrayEquals(new byte[]{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, mac);
        assertEquals(1, bus.read(T + 0x106, 2), "link up");
        assertEquals("52:54:00:12:34:56", a.macAddress());
        QObject second = m.create("/machine/peripheral/nic1", "virtio-net-device");
        second.realize();
        assertEquals("52:54:00:12:34:57", ((VirtioNet) second).macAddress(), "the next free address");
        assertThrows(QomException.class, () -> plug("bad", "52:54:00:zz:00:01"));
    }

    @Test void transmittedFramesReachTheNetdevWithoutTheHeader() {
        plug("nic0", "02:00:00:00:00:01");
        initialize();
        byte[] frame = new byte[60];
        for (int i = 0; i < frame.length; i++) frame[i] = (byte) (i + 1);
        bus.writeBytes(BUF, new byte[12], 0, 12);
        bus.writeBytes(BUF + 12, frame, 0, frame.length);
        ring.descriptor(TX_DESC, 0, BUF, 12 + frame.length, 0, 0);
        ring.offer(TX_AVAIL, QSIZE, txAvail++, 0);
        w(0x50, 1);
        assertEquals(1, netdev.sent.size());
        assertArrayEquals(frame, netdev.sent.get(0));
        assertEquals(1, bus.read(TX_USED + 2, 2), "the buffer is returned");
    }

    @Test void receivedFramesFillTheDriversBuffersAfterTheHeader() {
        VirtioNet nic = plug("nic0", null);
        initialize();
        assertFalse(nic.canReceive(), "no buffer yet");
        ring.descriptor(RX_DESC, 0, BUF + 0x1000, 1526, 2, 0);
        ring.offer(RX_AVAIL, QSIZE, rxAvail++, 0);
        w(0x50, 0);
        assertTrue(netdev.readyCalled, "new buffers wake the netdev");
        assertTrue(nic.canReceive());
        byte[] frame = new byte[42];
        Arrays.fill(frame, (byte) 0xab);
        nic.receive(frame, 0, frame.length);
        assertEquals(1, bus.read(RX_USED + 2, 2));
        assertEquals(12 + 42, bus.read(RX_USED + 8, 4));
        assertEquals(1, bus.read(BUF + 0x1000 + 10, 2), "num_buffers");
        assertEquals(0xab, bus.read(BUF + 0x1000 + 12, 1));
        assertEquals(0xab, bus.read(BUF + 0x1000 + 12 + 41, 1));
        assertTrue(m.irqLevel(8));
    }

    @Test void linkDownClearsTheStatusBitInterruptsAndDropsFrames() {
        VirtioNet nic = plug("nic0", null);
        initialize();
        w(0x64, r(0x60));
        nic.setLinkUp(false);
        assertEquals(0, bus.read(T + 0x106, 2));
        assertEquals(2, r(0x60) & 2, "configuration change interrupt");
        bus.writeBytes(BUF + 12, new byte[60], 0, 60);
        ring.descriptor(TX_DESC, 0, BUF, 72, 0, 0);
        ring.offer(TX_AVAIL, QSIZE, txAvail++, 0);
        w(0x50, 1);
        assertTrue(netdev.sent.isEmpty(), "nothing leaves while the link is down");
        nic.setLinkUp(true);
        assertEquals(1, bus.read(T + 0x106, 2));
    }
}
