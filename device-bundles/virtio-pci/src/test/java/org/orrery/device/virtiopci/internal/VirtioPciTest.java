package org.orrery.device.virtiopci.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.MemoryBlockNode;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Plays U-Boot's and Linux's virtio-pci drivers against virtio-blk-pci and virtio-rng-pci on virt's PCIe host. */
class VirtioPciTest {
    static final long ECAM = 0x30000000L, PIO = 0x03000000L, MMIO = 0x40000000L, RAM = 0x80000000L;
    static final long DESC = RAM, AVAIL = RAM + 0x1000, USED = RAM + 0x2000, BUF = RAM + 0x10000;
    static final long MODERN = MMIO, MSIX = MMIO + 0x8000;
    TestMachine m;
    AddressSpace bus;
    MemoryBlockNode disk;
    SplitRing ring;

    @BeforeEach void setUp() {
        m = new TestMachine(ComponentScan.typeProviders()).withDerivers(ComponentScan.typeDerivers()).withBlockNodes("block-node");
        bus = m.systemMemory();
        ring = new SplitRing(bus);
        m.mapRam(RAM, 1 << 20);
        QObject host = m.create("/machine/soc/pci@30000000", "gpex-pcihost");
        Map.of("addr", "0x30000000", "irq", "32", "pio-base", "0x3000000", "pio-size", "0x10000", "mmio-base", "0x40000000",
                "mmio-size", "0x40000000").forEach((k, v) -> host.setProperty(k, Value.ofText(k, v)));
        host.realize();
        disk = (MemoryBlockNode) m.create("/blockdevs/d0", "block-node");
        disk.realize();
        byte[] sector1 = "hello from a pci disk".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(sector1, 0, disk.data(), 512, sector1.length);
    }

    PciDevice device(String type, String id, String... props) {
        QObject d = m.create("/machine/peripheral/" + id, type);
        for (int i = 0; i < props.length; i += 2) d.setProperty(props[i], Value.ofText(props[i], props[i + 1]));
        d.realize();
        return (PciDevice) d;
    }

    long cfg(PciDevice d, int reg, int size) { return bus.read(ECAM + ((long) d.devfn() << 12) + reg, size); }
    void cfg(PciDevice d, int reg, int size, long v) { bus.write(ECAM + ((long) d.devfn() << 12) + reg, size, v); }

    /** What U-Boot did on QEMU: BAR 0 at I/O 0x1080, BAR 1 at 0x40008000, BAR 4 at 0x4000c000; decoding and mastering on. */
    void enumerate(PciDevice d, long io, long msix, long modern) {
        cfg(d, 0x10, 4, io);
        cfg(d, 0x14, 4, msix);
        cfg(d, 0x20, 4, modern);
        cfg(d, 0x24, 4, 0);
        cfg(d, 4, 2, PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
    }

    @Test void everyVirtioDeviceHasAPciFlavourWithItsProperties() {
        ObjectType blk = m.tree().registry().require("virtio-blk-pci");
        assertTrue(blk.isA("pci-device") && blk.isA("virtio-pci"));
        for (String p : new String[]{"drive", "serial", "addr", "romfile", "disable-legacy", "disable-modern", "vectors"})
            assertNotNull(blk.property(p), p);
        assertNotNull(m.tree().registry().require("virtio-rng-pci").property("rng"));
    }

    @Test void configurationSpaceIsQemus() {
        device("virtio-rng-pci", "rng");
        PciDevice d = device("virtio-blk-pci", "vd", "drive", "d0");
        assertEquals(16, d.devfn(), "the second free slot, 02.0");
        // the bytes QEMU 7.2 shows for -drive if=virtio at 00:02.0 (ids, class, capabilities, interrupt pin)
        assertEquals(0x10011af4L, cfg(d, 0, 4));
        assertEquals(0x00100000L, cfg(d, 4, 4), "capability list in the status register");
        assertEquals(0x01000000L, cfg(d, 8, 4), "class 01.00.00, revision 0: transitional");
        assertEquals(0x00021af4L, cfg(d, 0x2c, 4), "subsystem: the virtio device id");
        assertEquals(0x98, cfg(d, 0x34, 1));
        assertEquals(0x00000100L, cfg(d, 0x3c, 4), "INTA");
        long[] caps = {0x01100009, 0x4, 0, 0x1000, 0x03104009, 0x4, 0x1000, 0x1000, 0x04105009, 0x4, 0x2000, 0x1000,
                0x02146009, 0x4, 0x3000, 0x1000, 0x4, 0x05147009, 0, 0, 0, 0, 0x00018411, 0x1, 0x801};
        for (int i = 0; i < caps.length; i++) assertEquals(caps[i], cfg(d, 0x40 + 4 * i, 4), "dword at 0x" + Integer.toHexString(0x40 + 4 * i));
        cfg(d, 0x10, 4, 0xffffffffL);
        assertEquals(0xffffff81L, cfg(d, 0x10, 4), "legacy I/O BAR of 128 bytes (24 + 60 of configuration, rounded up)");
        cfg(d, 0x20, 4, 0xffffffffL);
        assertEquals(0xffffc00cL, cfg(d, 0x20, 4), "16 KiB 64-bit prefetchable modern BAR");
    }

    @Test void modernDriverReadsASectorAndTheInterruptIsIntaOnItsSwizzledLine() {
        PciDevice d = device("virtio-blk-pci", "vd", "drive", "d0");
        enumerate(d, 0x1000, MSIX, MODERN);
        long c = MODERN;                                  // common configuration
        bus.write(c + 0x14, 1, 0);
        bus.write(c + 0x14, 1, 1 | 2);
        bus.write(c + 0x00, 4, 1);
        assertEquals(1, bus.read(c + 0x04, 4) & 1, "VERSION_1");
        bus.write(c + 0x08, 4, 1);
        bus.write(c + 0x0c, 4, 1);
        bus.write(c + 0x08, 4, 0);
        bus.write(c + 0x0c, 4, 0);
        bus.write(c + 0x14, 1, 1 | 2 | 8);
        assertEquals(8, bus.read(c + 0x14, 1) & 8, "FEATURES_OK kept");
        assertEquals(1, bus.read(c + 0x12, 2), "one queue");
        bus.write(c + 0x16, 2, 0);
        assertEquals(256, bus.read(c + 0x18, 2));
        bus.write(c + 0x18, 2, 16);
        bus.write(c + 0x20, 8, DESC);                     // Linux writes the halves; an 8-byte access works too
        bus.write(c + 0x28, 4, AVAIL);
        bus.write(c + 0x2c, 4, 0);
        bus.write(c + 0x30, 4, USED);
        bus.write(c + 0x34, 4, 0);
        bus.write(c + 0x1c, 2, 1);
        bus.write(c + 0x14, 1, 1 | 2 | 8 | 4);
        assertEquals(disk.data().length / 512, bus.read(MODERN + 0x2000, 8), "capacity in the device configuration at 0x2000");
        request(16, BUF, 1);
        bus.write(MODERN + 0x3000 + 4L * bus.read(c + 0x1e, 2), 2, 0);   // notify at queue_notify_off * 4
        disk.complete();
        assertEquals(1, bus.read(USED + 2, 2));
        assertEquals("hello from a pci disk", text(BUF + 0x100, 21));
        assertTrue(m.irqLevel(33), "slot 1, INTA: PLIC source 33");
        assertEquals(1, bus.read(MODERN + 0x1000, 1), "ISR: a used buffer");
        assertFalse(m.irqLevel(33), "reading the ISR clears it, and the line");
    }

    @Test void legacyDriverUsesTheIoBarAsUBootDoes() {
        PciDevice d = device("virtio-blk-pci", "vd", "drive", "d0");
        enumerate(d, 0x1080, MSIX, MODERN);
        long io = PIO + 0x1080;
        bus.write(io + 0x12, 1, 0);
        bus.write(io + 0x12, 1, 1 | 2);
        long host = bus.read(io, 4);
        assertNotEquals(0, host & (1 << 9), "FLUSH among the 32 legacy feature bits");
        bus.write(io + 0x04, 4, host & (1 << 9));
        bus.write(io + 0x0e, 2, 0);
        int size = (int) bus.read(io + 0x0c, 2);
        assertEquals(256, size);
        bus.write(io + 0x08, 4, DESC >> 12);             // the queue as one block: the used ring at the next 4 KiB
        bus.write(io + 0x12, 1, 1 | 2 | 4);
        long avail = DESC + 16L * size, used = (avail + 6 + 2L * size + 4095) & ~4095L;
        desc(DESC, 0, header(BUF, 0, 1), 16, 1, 1);
        desc(DESC, 1, BUF + 0x100, 512, 1 | 2, 2);
        desc(DESC, 2, BUF + 0x400, 1, 2, 0);
        ring.offer(avail, size, 0, 0);
        bus.write(io + 0x10, 2, 0);
        disk.complete();
        assertEquals(1, bus.read(used + 2, 2));
        assertEquals("hello from a pci disk", text(BUF + 0x100, 21));
        assertEquals(disk.data().length / 512, bus.read(io + 0x14, 8), "configuration right after the registers while MSI-X is off");
        assertEquals(1, bus.read(io + 0x13, 1), "ISR");
        assertEquals(0, bus.read(io + 0x13, 1), "read-to-clear");
    }

    @Test void msixCarriesQueueInterruptsOnceTheGuestEnablesIt() {
        PciDevice d = device("virtio-rng-pci", "rng");
        enumerate(d, 0x1000, MSIX, MODERN);
        int cap = 0x98;
        cfg(d, cap + 2, 2, 0x8000);
        bus.write(MSIX, 4, RAM + 0x800);                  // vector 0 → 0x80000800, data 0x77, unmasked
        bus.write(MSIX + 4, 4, 0);
        bus.write(MSIX + 8, 4, 0x77);
        bus.write(MSIX + 12, 4, 0);
        long c = MODERN;
        bus.write(c + 0x14, 1, 1 | 2);
        bus.write(c + 0x08, 4, 1);
        bus.write(c + 0x0c, 4, 1);
        bus.write(c + 0x14, 1, 1 | 2 | 8);
        bus.write(c + 0x16, 2, 0);
        bus.write(c + 0x18, 2, 16);
        bus.write(c + 0x1a, 2, 0);
        assertEquals(0, bus.read(c + 0x1a, 2), "vector 0 accepted");
        bus.write(c + 0x10, 2, 5);
        assertEquals(0xffff, bus.read(c + 0x10, 2), "a vector beyond the table reads back as NO_VECTOR");
        bus.write(c + 0x20, 4, DESC);
        bus.write(c + 0x28, 4, AVAIL);
        bus.write(c + 0x30, 4, USED);
        bus.write(c + 0x1c, 2, 1);
        bus.write(c + 0x14, 1, 1 | 2 | 8 | 4);
        desc(DESC, 0, BUF, 64, 2, 0);
        ring.offer(AVAIL, 16, 0, 0);
        bus.write(MODERN + 0x3000, 2, 0);
        assertEquals(64, bus.read(USED + 8, 4), "64 random bytes");
        assertEquals(0x77, bus.read(RAM + 0x800, 4), "the message");
        assertFalse(m.irqLevel(33), "no INTx while MSI-X is on");
    }

    @Test void modernOnlyAndTheWrongChoicesAreQemus() {
        PciDevice d = device("virtio-rng-pci", "rng", "disable-legacy", "on");
        assertEquals(0x10441af4L, cfg(d, 0, 4), "1af4:1040 + the virtio id");
        assertEquals(1, cfg(d, 8, 1), "revision 1");
        assertEquals(0x11001af4L, cfg(d, 0x2c, 4));
        assertNull(d.bar(0), "no legacy I/O BAR");
        QObject none = m.create("/machine/peripheral/none", "virtio-rng-pci");
        none.setProperty("disable-legacy", Value.ofText("disable-legacy", "on"));
        none.setProperty("disable-modern", Value.ofText("disable-modern", "on"));
        assertTrue(assertThrows(QomException.class, none::realize).getMessage()
                .endsWith("device cannot work as neither modern nor legacy mode is enabled"));
        QObject noDrive = m.create("/machine/peripheral/nd", "virtio-blk-pci");
        assertEquals("Property 'drive' is required by '/machine/peripheral/nd'", assertThrows(QomException.class, noDrive::realize).getMessage());
        PciDevice noMsix = device("virtio-rng-pci", "nm", "vectors", "0");
        assertNull(noMsix.msix());
        assertNull(noMsix.bar(1));
    }

    @Test void thePciCfgCapabilityReachesTheBars() {
        PciDevice d = device("virtio-rng-pci", "rng");
        enumerate(d, 0x1000, MSIX, MODERN);
        int cap = 0x84;
        cfg(d, cap + 4, 1, 4);                             // BAR 4
        cfg(d, cap + 8, 4, 0x12);                          // common configuration: num_queues
        cfg(d, cap + 12, 4, 2);
        assertEquals(1, cfg(d, cap + 16, 4), "num_queues through configuration space");
    }

    // ---- helpers: descriptors and requests in guest memory ----

    void desc(long table, int i, long addr, int len, int flags, int next) { ring.descriptor(table, i, addr, len, flags, next); }

    long header(long at, int type, long sector) { return ring.blockHeader(at, type, sector); }

    /** A read of {@code sector} into buf + 0x100, head 0, made available in a modern queue of {@code size}. */
    void request(int size, long buf, long sector) {
        desc(DESC, 0, header(buf, 0, sector), 16, 1, 1);
        desc(DESC, 1, buf + 0x100, 512, 1 | 2, 2);
        desc(DESC, 2, buf + 0x400, 1, 2, 0);
        ring.offer(AVAIL, size, 0, 0);
    }

    String text(long at, int n) {
        byte[] b = new byte[n];
        bus.readBytes(at, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
