package org.orrery.device.pci.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.device.pci.MsiX;
import org.orrery.device.pci.PciBar;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.device.Device;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Plays the firmware and the guest on virt's PCIe host: ECAM, BAR sizing and decoding, INTx routing, MSI-X. */
class PciHostTest {
    static final long ECAM = 0x30000000L, PIO = 0x03000000L, MMIO = 0x40000000L, HIGH = 0x400000000L, RAM = 0x80000000L;
    TestMachine m;
    AddressSpace bus;

    /** A function with one BAR of each kind, MSI-X in BAR 1 and INTA. */
    static final class TestFunction extends PciDevice {
        static final String TYPE = "test-pci-function";
        long register = 0xcafe;

        @Override protected void realizeFunction() {
            setIds(0x1234, 0x5678, 0x020000, 1, 0x1af4, 0x1100);
            setInterruptPin(1);
            MmioHandler regs = new MmioHandler() {
                @Override public long read(long offset, int size) { return offset == 0 ? register : 0; }
                @Override public void write(long offset, int size, long value) { if (offset == 0) register = value; }
            };
            setBar(0, new PciBar(PciBar.Kind.IO, false, MemoryRegion.mmio("io", 0x20, regs)));
            MsiX msix = new MsiX(this, 2, 1);
            setBar(1, msix.bar());
            setBar(2, new PciBar(PciBar.Kind.MEMORY32, false, MemoryRegion.mmio("mem", 0x1000, regs)));
            setBar(4, new PciBar(PciBar.Kind.MEMORY64, true, MemoryRegion.mmio("mem64", 0x4000, regs)));
        }

        void raise(boolean level) { setIntx(level); }
    }

    @BeforeEach void setUp() {
        m = new TestMachine(new PciTypes().providers())
                .register(TestFunction.TYPE, TypeDescription.named(TestFunction.TYPE).parent(PciDevice.TYPE).creates(TestFunction::new));
        bus = m.systemMemory();
        m.mapRam(RAM, 1 << 20);
        QObject host = m.create("/machine/soc/pci@30000000", GpexHost.TYPE);
        for (String[] p : new String[][]{{"addr", "0x30000000"}, {"irq", "32"}, {"ecam-size", "0x10000000"}, {"pio-base", "0x3000000"},
                {"pio-size", "0x10000"}, {"mmio-base", "0x40000000"}, {"mmio-size", "0x40000000"}, {"high-mmio-base", "0x400000000"},
                {"high-mmio-size", "0x400000000"}})
            host.setProperty(p[0], Value.ofText(p[0], p[1]));
        host.realize();
    }

    TestFunction function(String id, String addr) {
        TestFunction f = (TestFunction) m.create("/machine/peripheral/" + id, TestFunction.TYPE);
        if (addr != null) f.setProperty("addr", Value.ofText("addr", addr));
        f.realize();
        return f;
    }

    long cfg(int devfn, int reg, int size) { return bus.read(ECAM + ((long) devfn << 12) + reg, size); }
    void cfg(int devfn, int reg, int size, long v) { bus.write(ECAM + ((long) devfn << 12) + reg, size, v); }

    @Test void ecamShowsTheHostBridgeAtZeroAndAllOnesWhereNothingIs() {
        assertEquals(0x00081b36L, cfg(0, 0, 4), "Red Hat 1b36:0008");
        assertEquals(0x06000000L, cfg(0, 8, 4), "class: host bridge");
        assertEquals(0x11001af4L, cfg(0, 0x2c, 4), "subsystem 1af4:1100");
        assertEquals(0xffffffffL, cfg(8, 0, 4), "no function at 01.0");
        assertEquals(0xffffL, cfg(8, 2, 2));
        assertEquals(0xffffffffL, bus.read(ECAM + (1 << 20), 4), "no bus 1");
        assertEquals(0xffffffffL, cfg(0, 0x100, 4), "conventional functions: no extended configuration space");
    }

    @Test void functionsTakeTheFirstFreeSlotOrTheirAddr() {
        TestFunction a = function("a", null), b = function("b", null), c = function("c", "1f.3");
        assertEquals(8, a.devfn());
        assertEquals(16, b.devfn());
        assertEquals(0xfb, c.devfn());
        assertEquals(16L, b.getProperty("addr").longValue(), "addr tells where the function went, as in QEMU");
        assertEquals(0x56781234L, cfg(16, 0, 4));
        TestFunction clash = (TestFunction) m.create("/machine/peripheral/d", TestFunction.TYPE);
        clash.setProperty("addr", Value.ofText("addr", "02.0"));
        assertEquals("PCI: slot 2 function 0 not available for test-pci-function, in use by test-pci-function,id=b",
                assertThrows(QomException.class, clash::realize).getMessage());
        QomException bad = assertThrows(QomException.class, () -> clash.setProperty("addr", Value.ofText("addr", "0x20")));
        assertTrue(bad.getMessage().startsWith("Property 'addr' doesn't take value '0x20'"), bad.getMessage());
    }

    @Test void barsAreSizedThenDecodedWhereTheGuestPutsThem() {
        TestFunction f = function("f", null);
        int at = f.devfn();
        cfg(at, 0x18, 4, 0xffffffffL);
        assertEquals(0xfffff000L, cfg(at, 0x18, 4), "a 4 KiB 32-bit memory BAR");
        cfg(at, 0x10, 4, 0xffffffffL);
        assertEquals(0xffffffe1L, cfg(at, 0x10, 4), "a 32-byte I/O BAR");
        cfg(at, 0x20, 4, 0xffffffffL);
        cfg(at, 0x24, 4, 0xffffffffL);
        assertEquals(0xffffc00cL, cfg(at, 0x20, 4), "a 16 KiB 64-bit prefetchable BAR");
        assertEquals(0xffffffffL, cfg(at, 0x24, 4));
        cfg(at, 0x18, 4, 0x40001000L);
        cfg(at, 0x10, 4, 0x100);
        cfg(at, 0x20, 4, 0);
        cfg(at, 0x24, 4, 4);                           // 0x4_0000_0000: the high window
        assertEquals(0xffffffffL, bus.read(MMIO + 0x1000, 4), "not decoded before the command register says so");
        cfg(at, 4, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_IO);
        assertEquals(0xcafe, bus.read(MMIO + 0x1000, 4));
        assertEquals(0xcafe, bus.read(PIO + 0x100, 4), "I/O at PCI address 0x100 is at 0x3000100");
        bus.write(HIGH, 4, 0xbeef);
        assertEquals(0xbeef, bus.read(MMIO + 0x1000, 4), "the same function's registers through the 64-bit BAR");
        assertEquals(MMIO + 0x1000, f.barMapping(2));
        cfg(at, 0x18, 4, 0x20000000L);                 // outside every window: programmed, unreachable, harmless
        assertEquals(0xffffffffL, bus.read(MMIO + 0x1000, 4));
        cfg(at, 4, 2, 0);
        assertEquals(0xffffffffL, bus.read(PIO + 0x100, 4), "decoding off");
        cfg(at, 0x18, 4, 0x40002000L);
        cfg(at, 4, 2, PciDevice.COMMAND_MEMORY);
        m.reset("test");
        assertEquals(0, cfg(at, 4, 2), "a reset turns decoding off");
        assertEquals(0, cfg(at, 0x18, 4), "and clears the BAR addresses");
        assertEquals(0xffffffffL, bus.read(MMIO + 0x2000, 4));
    }

    @Test void intxIsSwizzledOntoPlicSources32To35AndMaskedByTheCommandRegister() {
        TestFunction a = function("a", null), b = function("b", "3");
        a.raise(true);
        assertTrue(m.irqLevel(33), "slot 1, INTA: line 1");
        assertEquals(PciDevice.STATUS_INTERRUPT, cfg(8, 6, 2) & PciDevice.STATUS_INTERRUPT);
        cfg(8, 4, 2, PciDevice.COMMAND_INTX_DISABLE);
        assertFalse(m.irqLevel(33), "INTX_DISABLE holds the line low");
        cfg(8, 4, 2, 0);
        assertTrue(m.irqLevel(33));
        b.raise(true);
        assertTrue(m.irqLevel(35), "slot 3, INTA: line 3");
        a.raise(false);
        assertFalse(m.irqLevel(33));
        assertTrue(m.irqLevel(35));
    }

    @Test void msixSendsMessagesAndKeepsMaskedOnesPending() {
        TestFunction f = function("f", null);
        int at = f.devfn();
        int cap = (int) cfg(at, 0x34, 1);
        assertEquals(MsiX.CAPABILITY_ID, cfg(at, cap, 1));
        assertEquals(1, cfg(at, cap + 2, 2) & 0x7ff, "two vectors");
        cfg(at, 0x14, 4, 0x40000000L);
        cfg(at, 4, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        long table = MMIO;
        bus.write(table + 16, 4, RAM + 0x100);           // vector 1: address, data
        bus.write(table + 20, 4, 0);
        bus.write(table + 24, 4, 0x42);
        assertFalse(f.msix().notify(1), "MSI-X off: the function uses INTx");
        cfg(at, cap + 2, 2, 0x8000);                      // enable
        assertTrue(f.msix().notify(1));
        assertEquals(0, bus.read(RAM + 0x100, 4), "the entry is still masked");
        assertEquals(2, bus.read(table + 0x800, 8), "so vector 1 is pending");
        bus.write(table + 28, 4, 0);                      // unmask
        assertEquals(0x42, bus.read(RAM + 0x100, 4), "delivered when unmasked");
        assertEquals(0, bus.read(table + 0x800, 8));
        bus.write(RAM + 0x100, 4, 0);
        f.msix().notify(1);
        assertEquals(0x42, bus.read(RAM + 0x100, 4));
    }

    @Test void hotPlugOntoTheRootBusIsRefusedAsOnQemu() {
        TestFunction late = (TestFunction) m.create("/machine/peripheral/late", TestFunction.TYPE);
        ((Device) late).markHotplugged();
        assertEquals("Bus 'pcie.0' does not support hotplugging", assertThrows(QomException.class, late::realize).getMessage());
        TestFunction cold = function("cold", null);
        assertEquals("Bus 'pcie.0' does not support hotplugging", assertThrows(QomException.class, cold::checkUnpluggable).getMessage());
    }

    @Test void romfileGivesAnExpansionRomAndAMissingOneIsQemusError(@TempDir Path dir) throws Exception {
        TestFunction missing = (TestFunction) m.create("/machine/peripheral/m", TestFunction.TYPE);
        missing.setProperty("romfile", Value.ofText("romfile", dir.resolve("none.rom").toString()));
        assertEquals("failed to find romfile \"" + dir.resolve("none.rom") + "\"", assertThrows(QomException.class, missing::realize).getMessage());
        Path rom = dir.resolve("x.rom");
        Files.write(rom, new byte[]{0x55, (byte) 0xaa, 7});
        TestFunction f = (TestFunction) m.create("/machine/peripheral/r", TestFunction.TYPE);
        f.setProperty("romfile", Value.ofText("romfile", rom.toString()));
        f.realize();
        int at = f.devfn();
        cfg(at, 0x30, 4, 0xfffffffeL);
        assertEquals(0xfffff800L, cfg(at, 0x30, 4), "2 KiB ROM");
        cfg(at, 0x30, 4, 0x40100001L);
        cfg(at, 4, 2, PciDevice.COMMAND_MEMORY);
        assertEquals(0xaa55, bus.read(MMIO + 0x100000, 2));
    }

    @Test void deviceTreeNodeIsQemus() {
        SimpleDtContext ctx = new SimpleDtContext();
        ((GpexHost) m.tree().resolve("/machine/soc/pci@30000000")).contributeDeviceTree(ctx);
        FdtNode n = ctx.soc().child("pci@30000000");
        int plic = ctx.interruptParent();
        assertEquals("pci-host-ecam-generic", n.stringProperty("compatible"));
        assertEquals("pci", n.stringProperty("device_type"));
        assertArrayEquals(cells(0x1000000, 0, 0, 0, 0x3000000, 0, 0x10000, 0x2000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000,
                0x3000000, 4, 0, 4, 0, 4, 0), n.property("ranges"));
        assertArrayEquals(cells(0, 0x30000000, 0, 0x10000000), n.property("reg"));
        assertArrayEquals(cells(0, 0xff), n.property("bus-range"));
        assertArrayEquals(cells(0x1800, 0, 0, 7), n.property("interrupt-map-mask"));
        // QEMU's map, first and last rows: slot 0 INTA on 32; slot 3 INTD on 34
        byte[] map = n.property("interrupt-map");
        assertEquals(16 * 6 * 4, map.length);
        assertArrayEquals(cells(0, 0, 0, 1, plic, 0x20), java.util.Arrays.copyOfRange(map, 0, 24));
        assertArrayEquals(cells(0x1800, 0, 0, 4, plic, 0x22), java.util.Arrays.copyOfRange(map, map.length - 24, map.length));
        assertNotNull(n.property("dma-coherent"));
    }

    static byte[] cells(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4);
        for (long v : values) b.putInt((int) v);
        return b.array();
    }
}
