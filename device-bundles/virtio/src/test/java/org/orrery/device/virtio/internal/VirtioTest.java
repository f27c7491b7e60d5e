package org.orrery.device.virtio.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.MemoryBlockNode;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.GlobalProperties;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Plays the driver: negotiates, lays out a split queue in RAM and submits requests as virtio 1.2 describes. */
class VirtioTest {
    static final long T0 = 0x10001000L, RAM = 0x80000000L;
    static final long DESC = RAM, AVAIL = RAM + 0x1000, USED = RAM + 0x2000, BUF = RAM + 0x10000;
    static final int QSIZE = 16;
    TestMachine m;
    AddressSpace bus;
    MemoryBlockNode disk;
    SplitRing ring;
    int availIdx;

    @BeforeEach void setUp() {
        m = new TestMachine(new VirtioTypes().providers())
                .withBlockNodes(VirtioBlk.BLOCK_NODE_TYPE);
        bus = m.systemMemory();
        ring = new SplitRing(bus);
        m.mapRam(RAM, 1 << 20);
        // most tests drive the modern interface, as -global virtio-mmio.force-legacy=false asks for it
        m.tree().globals().add(new GlobalProperties.Global("virtio-mmio", "force-legacy", "off"));
        for (int i = 0; i < 8; i++) {
            QObject t = m.create("/machine/soc/virtio_mmio@" + Long.toHexString(T0 + i * 0x1000L), "virtio-mmio");
            t.setProperty("addr", Value.ofText("addr", "" + (T0 + i * 0x1000L)));
            t.setProperty("irq", Value.ofText("irq", "" + (1 + i)));
            t.realize();
        }
        disk = (MemoryBlockNode) m.create("/blockdevs/d0", VirtioBlk.BLOCK_NODE_TYPE);
        disk.realize();
        byte[] sector1 = "hello from sector one".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(sector1, 0, disk.data(), 512, sector1.length);
    }

    VirtioDevice plugBlk(String id) {
        QObject d = m.create("/machine/peripheral/" + id, "virtio-blk-device");
        d.setProperty("drive", Value.ofText("drive", "d0"));
        d.setProperty("serial", Value.ofText("serial", "ORRERY-SN-1"));
        d.realize();
        return (VirtioDevice) d;
    }

    long r(long t, int off) { return bus.read(t + off, 4); }
    void w(long t, int off, long v) { bus.write(t + off, 4, v); }

    /** The driver side of initialisation (virtio 1.2, 3.1.1) for queue 0. */
    void initialize(long t) { initialize(t, (1 << 9) | (1 << 28)); }

    void initialize(long t, long lowFeatures) {
        w(t, 0x70, 0);
        w(t, 0x70, 1);
        w(t, 0x70, 1 | 2);
        w(t, 0x24, 1);
        w(t, 0x20, 1); // VERSION_1
        w(t, 0x24, 0);
        w(t, 0x20, lowFeatures); // FLUSH, INDIRECT_DESC by default
        w(t, 0x70, 1 | 2 | 8);
        assertEquals(8, r(t, 0x70) & 8, "FEATURES_OK accepted");
        w(t, 0x30, 0);
        assertEquals(256, r(t, 0x34));
        w(t, 0x38, QSIZE);
        w(t, 0x80, DESC); w(t, 0x84, 0);
        w(t, 0x90, AVAIL); w(t, 0x94, 0);
        w(t, 0xa0, USED); w(t, 0xa4, 0);
        w(t, 0x44, 1);
        w(t, 0x70, 1 | 2 | 8 | 4);
    }

    void desc(long table, int i, long addr, int len, int flags, int next) { ring.descriptor(table, i, addr, len, flags, next); }

    void submit(long t, int head) {
        bus.write(AVAIL + 4 + 2L * (availIdx % QSIZE), 2, head);
        availIdx++;
        bus.write(AVAIL + 2, 2, availIdx);
        w(t, 0x50, 0);
    }

    int usedIdx() { return (int) bus.read(USED + 2, 2); }

    long header(long at, int type, long sector) { return ring.blockHeader(at, type, sector); }

    @Test void transportIdentifiesItself() {
        assertEquals(0x74726976L, r(T0, 0));
        assertEquals(2, r(T0, 4));
        assertEquals(0, r(T0, 8), "no device plugged in");
        assertEquals(0x554d4551L, r(T0, 0xc));
    }

    @Test void firstDeviceLandsAtTheHighestAddressAsInQemu() {
        VirtioDevice a = plugBlk("disk0");
        QObject b = m.create("/machine/peripheral-anon/device[0]", "virtio-rng-device");
        b.realize();
        assertEquals(0x10008000L, a.transport().baseAddress());
        assertEquals(0x10007000L, ((VirtioDevice) b).transport().baseAddress());
        assertEquals(2, r(0x10008000L, 8));
        assertEquals(4, r(0x10007000L, 8));
        assertEquals("/machine/soc/virtio_mmio@10008000", a.getProperty("transport").textValue());
    }

    @Test void featuresAndConfig() {
        plugBlk("disk0");
        long t = 0x10008000L;
        w(t, 0x14, 0);
        long lo = r(t, 0x10);
        assertNotEquals(0, lo & (1 << 9), "FLUSH");
        assertNotEquals(0, lo & (1 << 2), "SEG_MAX");
        assertEquals(0, lo & (1 << 5), "writable drive");
        w(t, 0x14, 1);
        assertEquals(1, r(t, 0x10) & 1, "VERSION_1");
        assertEquals((1 << 20) / 512, bus.read(t + 0x100, 8), "capacity in sectors");
        assertEquals(512, r(t, 0x100 + 20), "blk_size");
    }

    @Test void featuresWithoutVersion1AreRefused() {
        plugBlk("disk0");
        long t = 0x10008000L;
        w(t, 0x70, 1 | 2);
        w(t, 0x20, 1 << 9);
        w(t, 0x70, 1 | 2 | 8);
        assertEquals(0, r(t, 0x70) & 8);
    }

    @Test void readRequestCompletesAsynchronouslyWithInterrupt() {
        plugBlk("disk0");
        long t = 0x10008000L;
        initialize(t);
        desc(DESC, 0, header(BUF, 0, 1), 16, 1, 1);
        desc(DESC, 1, BUF + 0x100, 512, 1 | 2, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        bus.write(BUF + 0x400, 1, 0xff);
        submit(t, 0);
        assertEquals(0, usedIdx(), "not before the backend completes");
        assertEquals(1, disk.complete());
        assertEquals(1, usedIdx());
        assertEquals(0, bus.read(USED + 4, 4), "used element names head 0");
        assertEquals(513, bus.read(USED + 8, 4), "data plus status byte written");
        assertEquals(0, bus.read(BUF + 0x400, 1), "VIRTIO_BLK_S_OK");
        byte[] got = new byte[21];
        bus.readBytes(BUF + 0x100, got, 0, 21);
        assertEquals("hello from sector one", new String(got, StandardCharsets.US_ASCII));
        assertTrue(m.irqLevel(8));
        assertEquals(1, r(t, 0x60));
        w(t, 0x64, 1);
        assertFalse(m.irqLevel(8));
    }

    @Test void aReadLargerThanAChunkIsServedInPieces() {
        // U-Boot reads a whole file in one request; the device serves it chunk by chunk
        MemoryBlockNode big = (MemoryBlockNode) m.create("/blockdevs/big", VirtioBlk.BLOCK_NODE_TYPE);
        big.setProperty("size", Value.ofText("size", "16M"));
        big.realize();
        disk = big;
        m.mapRam(0x90000000L, 16 << 20);
        for (int i = 0; i < (9 << 20); i += 4096) big.data()[i] = (byte) (i >>> 12);
        QObject dev = m.create("/machine/peripheral/disk0", "virtio-blk-device");
        dev.setProperty("drive", Value.ofText("drive", "big"));
        dev.realize();
        long t = 0x10008000L;
        initialize(t);
        int size = 9 << 20;   // more than two chunks
        desc(DESC, 0, header(BUF, 0, 0), 16, 1, 1);
        desc(DESC, 1, 0x90000000L, size, 1 | 2, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        submit(t, 0);
        int rounds = 0, served = 0;
        while (usedIdx() == 0 && rounds++ < 10) served += disk.complete();
        assertEquals(1, usedIdx());
        assertEquals(3, served, "three backend reads of at most 4 MiB");
        assertEquals(0, bus.read(BUF + 0x400, 1), "VIRTIO_BLK_S_OK");
        assertEquals(size + 1, bus.read(USED + 8, 4));
        for (int i = 0; i < size; i += 4096) assertEquals((byte) (i >>> 12), (byte) bus.read(0x90000000L + i, 1), "page " + (i >>> 12));
    }

    @Test void writeFlushAndGetIdWithIndirectDescriptors() {
        plugBlk("disk0");
        long t = 0x10008000L;
        initialize(t);
        long table = BUF + 0x2000;
        byte[] payload = new byte[512];
        payload[0] = 'W';
        payload[511] = 'Z';
        bus.writeBytes(BUF + 0x100, payload, 0, 512);
        desc(table, 0, header(BUF, 1, 3), 16, 1, 1);
        desc(table, 1, BUF + 0x100, 512, 1, 2);
        desc(table, 2, BUF + 0x400, 1, 2, 0);
        desc(DESC, 0, table, 48, 4, 0);
        submit(t, 0);
        disk.complete();
        assertEquals('W', disk.data()[3 * 512]);
        assertEquals('Z', disk.data()[4 * 512 - 1]);
        assertEquals(0, bus.read(BUF + 0x400, 1));

        desc(DESC, 1, header(BUF + 0x40, 4, 0), 16, 1, 2);
        desc(DESC, 2, BUF + 0x401, 1, 2, 0);
        submit(t, 1);
        disk.complete();
        assertEquals(1, disk.flushes());

        desc(DESC, 3, header(BUF + 0x80, 8, 0), 16, 1, 4);
        desc(DESC, 4, BUF + 0x500, 20, 1 | 2, 5);
        desc(DESC, 5, BUF + 0x402, 1, 2, 0);
        submit(t, 3);
        byte[] id = new byte[11];
        bus.readBytes(BUF + 0x500, id, 0, 11);
        assertEquals("ORRERY-SN-1", new String(id, StandardCharsets.US_ASCII));
        assertEquals(3, usedIdx());
    }

    @Test void outOfRangeAndUnsupportedRequests() {
        plugBlk("disk0");
        long t = 0x10008000L;
        initialize(t);
        desc(DESC, 0, header(BUF, 0, 1 << 20), 16, 1, 1);
        desc(DESC, 1, BUF + 0x100, 512, 1 | 2, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        submit(t, 0);
        assertEquals(1, bus.read(BUF + 0x400, 1), "IOERR beyond the end of the disk");
        desc(DESC, 3, header(BUF + 0x40, 99, 0), 16, 1, 4);
        desc(DESC, 4, BUF + 0x401, 1, 2, 0);
        submit(t, 3);
        assertEquals(2, bus.read(BUF + 0x401, 1), "UNSUPP");
    }

    @Test void readOnlyDriveRefusesWrites() {
        QObject ro = m.create("/blockdevs/ro", VirtioBlk.BLOCK_NODE_TYPE);
        ro.setProperty("read-only", Value.ofText("read-only", "on"));
        ro.realize();
        QObject d = m.create("/machine/peripheral/disk0", "virtio-blk-device");
        d.setProperty("drive", Value.ofText("drive", "ro"));
        d.realize();
        long t = 0x10008000L;
        w(t, 0x14, 0);
        assertNotEquals(0, r(t, 0x10) & (1 << 5), "VIRTIO_BLK_F_RO");
        initialize(t);
        desc(DESC, 0, header(BUF, 1, 0), 16, 1, 1);
        desc(DESC, 1, BUF + 0x100, 512, 1, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        submit(t, 0);
        ((MemoryBlockNode) ro).complete();
        assertEquals(1, bus.read(BUF + 0x400, 1));
    }

    @Test void resetDropsInFlightCompletions() {
        plugBlk("disk0");
        long t = 0x10008000L;
        initialize(t);
        desc(DESC, 0, header(BUF, 0, 0), 16, 1, 1);
        desc(DESC, 1, BUF + 0x100, 512, 1 | 2, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        bus.write(BUF + 0x400, 1, 0xee);
        submit(t, 0);
        w(t, 0x70, 0);
        disk.complete();
        assertEquals(0xee, bus.read(BUF + 0x400, 1), "guest memory untouched after reset");
        assertEquals(0, r(t, 0x70));
        assertEquals(0, r(t, 0x44), "queue no longer ready");
    }

    @Test void loopingChainMarksNeedsReset() {
        plugBlk("disk0");
        long t = 0x10008000L;
        initialize(t);
        desc(DESC, 0, BUF, 16, 1, 1);
        desc(DESC, 1, BUF, 16, 1, 0);
        submit(t, 0);
        assertEquals(64, r(t, 0x70) & 64, "DEVICE_NEEDS_RESET");
        assertTrue(m.irqLevel(8), "configuration change interrupt");
    }

    @Test void rngFillsBuffers() {
        QObject rng = m.create("/machine/peripheral-anon/device[0]", "virtio-rng-device");
        rng.realize();
        long t = 0x10008000L;
        initialize(t, 0);
        desc(DESC, 0, BUF, 64, 2, 0);
        submit(t, 0);
        assertEquals(1, usedIdx());
        assertEquals(64, bus.read(USED + 8, 4));
    }

    @Test void noFreeTransportIsQemusError() {
        for (int i = 0; i < 8; i++) m.create("/machine/peripheral-anon/device[" + i + "]", "virtio-rng-device").realize();
        QObject extra = m.create("/machine/peripheral-anon/device[8]", "virtio-rng-device");
        QomException e = assertThrows(QomException.class, extra::realize);
        assertEquals("No 'virtio-bus' bus found for device 'virtio-rng-device'", e.getMessage());
    }

    @Test void busesAreNamedAsQemuNamesThem() {
        for (int i = 0; i < 8; i++)
            assertNotNull(m.tree().resolve("/machine/soc/virtio_mmio@" + Long.toHexString(T0 + i * 0x1000L) + "/virtio-mmio-bus." + i));
    }

    @Test void busPutsTheDeviceOnTheTransportItNames() {
        org.orrery.machine.device.Device d = (org.orrery.machine.device.Device) m.create("/machine/peripheral/disk0", "virtio-blk-device");
        d.requestBus("virtio-mmio-bus.0");
        d.setProperty("drive", Value.ofText("drive", "d0"));
        d.realize();
        assertEquals(T0, ((VirtioDevice) d).transport().baseAddress());
        assertEquals(2, r(T0, 8), "a block device at 0x10001000");
        assertEquals("virtio-mmio-bus.0", d.parentBus().busName());
        org.orrery.machine.device.Device again = (org.orrery.machine.device.Device) m.create("/machine/peripheral/rng", "virtio-rng-device");
        again.requestBus("virtio-mmio-bus.0");
        assertEquals("Bus 'virtio-mmio-bus.0' is full", assertThrows(QomException.class, again::realize).getMessage());
        org.orrery.machine.device.Device lost = (org.orrery.machine.device.Device) m.create("/machine/peripheral/lost", "virtio-blk-device");
        lost.requestBus("no-such-bus.0");
        // the bus is looked for before the properties: the missing drive is not what is reported
        assertEquals("Bus 'no-such-bus.0' not found", assertThrows(QomException.class, lost::realize).getMessage());
    }

    @Test void legacyTransportIsTheDefaultAndServesRequestsThroughQueuePfn() {
        QObject t = m.create("/machine/soc/legacy", "virtio-mmio");
        t.setProperty("force-legacy", Value.ofText("force-legacy", "on"));
        t.setProperty("addr", Value.ofText("addr", "0x10100000"));
        t.setProperty("irq", Value.ofText("irq", "9"));
        t.realize();
        assertTrue(VirtioMmio.FORCE_LEGACY.defaultValue(), "legacy unless told otherwise, as QEMU's virtio-mmio");
        QObject fresh = m.create("/machine/soc/fresh", "virtio-mmio");
        assertFalse(fresh.getProperty("force-legacy").booleanValue(), "the -global default of setUp applies to new transports");
        long l = 0x10100000L;
        org.orrery.machine.device.Device d = (org.orrery.machine.device.Device) m.create("/machine/peripheral/disk0", "virtio-blk-device");
        d.requestBus(((org.orrery.machine.device.DeviceBus) t.children().values().iterator().next()).busName());
        d.setProperty("drive", Value.ofText("drive", "d0"));
        d.realize();
        assertEquals(1, r(l, 4), "version 1");
        assertEquals(2, r(l, 8));
        w(l, 0x14, 1);
        assertEquals(0, r(l, 0x10), "no feature bits beyond 31 on the legacy interface");
        w(l, 0x70, 1 | 2);
        w(l, 0x24, 0);
        w(l, 0x20, 1 << 9);
        w(l, 0x28, 4096);                       // GuestPageSize
        w(l, 0x30, 0);
        assertEquals(256, r(l, 0x34));
        w(l, 0x38, QSIZE);
        w(l, 0x3c, 4096);                       // QueueAlign
        w(l, 0x40, RAM >> 12);                  // QueuePFN: descriptors at RAM, rings after them
        assertEquals(RAM >> 12, r(l, 0x40));
        w(l, 0x70, 1 | 2 | 4);
        long avail = RAM + 16L * QSIZE, used = RAM + 0x1000;
        desc(RAM, 0, header(BUF, 0, 1), 16, 1, 1);
        desc(RAM, 1, BUF + 0x100, 512, 1 | 2, 2);
        desc(RAM, 2, BUF + 0x400, 1, 2, 0);
        ring.offer(avail, QSIZE, 0, 0);
        w(l, 0x50, 0);
        disk.complete();
        assertEquals(1, bus.read(used + 2, 2), "the used ring at the next 4 KiB boundary after the available ring");
        byte[] got = new byte[21];
        bus.readBytes(BUF + 0x100, got, 0, 21);
        assertEquals("hello from sector one", new String(got, StandardCharsets.US_ASCII));
        assertTrue(m.irqLevel(9));
        w(l, 0x40, 0);
        assertEquals(0, r(l, 0x70), "QueuePFN 0 resets the device");
    }

    @Test void unplugFreesTheTransport() {
        VirtioDevice a = plugBlk("disk0");
        m.tree().delete(a, false);
        assertEquals(0, r(0x10008000L, 8));
        VirtioDevice b = plugBlk("disk1");
        assertEquals(0x10008000L, b.transport().baseAddress());
    }

    @Test void deviceTreeNodeForEveryTransport() {
        SimpleDtContext ctx = new SimpleDtContext();
        for (QObject o : m.tree().all()) if (o instanceof VirtioMmio v) v.contributeDeviceTree(ctx);
        assertEquals(8, ctx.soc().children().size());
        var n = ctx.soc().child("virtio_mmio@10001000");
        assertEquals("virtio,mmio", n.stringProperty("compatible"));
        assertArrayEquals(new byte[]{0, 0, 0, 1}, n.property("interrupts"));
    }
}
