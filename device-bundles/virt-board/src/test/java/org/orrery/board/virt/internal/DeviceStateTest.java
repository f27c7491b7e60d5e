package org.orrery.board.virt.internal;

import org.junit.jupiter.api.Test;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.testing.BufferChardev;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.FakeCpu;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.device.Board;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.Device;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateRecord;
import org.orrery.qom.QObject;
import org.orrery.qom.Value;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Saves every device of a virt machine (with one device of each further type the device bundles offer) the way
 * snapshots do, by path, after a guest drove them away from reset, and loads the states into a fresh machine made
 * from the same "command line": the states saved again are equal, guest-visible registers read the same, and the
 * devices go on as the saved ones would (UART input, an armed timer, a virtqueue mid-stream).
 */
class DeviceStateTest {
    static final long UART = 0x10000000L, PLIC = 0xc000000L, SWI = 0x2000000L, MTIMER = 0x2004000L, RTC = 0x101000L,
            RNG_MMIO = 0x10008000L, ECAM = 0x30000000L, FB = 0x40000000L, VGA_MMIO = 0x41000000L, PCI_MMIO = 0x41100000L;
    static final long RING = 0x80010000L, BUFFERS = 0x80020000L;
    static final int QUEUE = 8;

    /** A machine made as a command line would: board, chardev, disk, and one device of each type. */
    static TestMachine machine() {
        TestMachine m = new TestMachine(ComponentScan.typeProviders()).withDerivers(ComponentScan.typeDerivers())
                .withFakeCpu("fake-rv64").withRamBackend().withBlockNodes("block-node");
        m.create("/chardevs/serial0", "chardev-buffer").realize();
        QObject disk = m.create("/blockdevs/disk0", "block-node");
        disk.setProperty("size", Value.ofText("size", "1M"));
        disk.realize();
        Board b = m.machine().createBoard("virt");
        for (String[] p : new String[][]{{"ram-size", "64M"}, {"cpu-type", "fake-rv64"}, {"firmware", "none"}})
            b.setProperty(p[0], Value.ofText(p[0], p[1]));
        b.realize();
        device(m, "rng", "virtio-rng-device");
        device(m, "blk", "virtio-blk-device", "drive", "disk0");
        device(m, "net", "virtio-net-device");
        device(m, "gpu", "virtio-gpu-device");
        device(m, "kbd", "virtio-keyboard-device");
        device(m, "tablet", "virtio-tablet-device");
        device(m, "vga", "bochs-display", "vgamem", "1M");
        device(m, "rngpci", "virtio-rng-pci");
        return m;
    }

    static void device(TestMachine m, String id, String type, String... props) {
        QObject d = m.create("/machine/peripheral/" + id, type);
        for (int i = 0; i < props.length; i += 2) d.setProperty(props[i], Value.ofText(props[i], props[i + 1]));
        d.realize();
    }

    static PciDevice pci(TestMachine m, String id) { return (PciDevice) m.tree().resolve("/machine/peripheral/" + id); }

    static long ecam(TestMachine m, String id, int reg) { return ECAM + ((long) pci(m, id).devfn() << 12) + reg; }

    static FakeCpu hart(TestMachine m) { return (FakeCpu) m.tree().resolve("/machine/soc0/harts[0]"); }

    /** What a guest does to every device: registers set, interrupts enabled and raised, queues set up and used. */
    static void drive(TestMachine m) {
        AddressSpace bus = m.systemMemory();
        m.clock().advanceTo(1_000_000);
        // UART: FIFOs on, 8N1, scratch, RX interrupt, modem outputs; then input waits in the receive FIFO
        bus.write(UART + 2, 1, 0xc1);
        bus.write(UART + 3, 1, 0x03);
        bus.write(UART + 7, 1, 0x5a);
        bus.write(UART + 1, 1, 0x01);
        bus.write(UART + 4, 1, 0x0b);
        ((BufferChardev) m.tree().resolve("/chardevs/serial0")).type("hi");
        // PLIC: priorities and enables for the UART (10) and the rng's transport (8), context 0 (hart 0 M)
        bus.write(PLIC + 4 * 10, 4, 3);
        bus.write(PLIC + 4 * 8, 4, 2);
        bus.write(PLIC + 0x2000, 4, (1 << 10) | (1 << 8));
        bus.write(PLIC + 0x200000, 4, 1);
        // ACLINT: msip for hart 0, a compare 100 ticks ahead
        bus.write(SWI, 4, 1);
        bus.write(MTIMER, 8, bus.read(MTIMER + 0x7ff8, 8) + 100);
        // RTC: interrupts on and an alarm a second ahead
        bus.write(RTC + 0x10, 4, 1);
        long now = bus.read(RTC, 4) | bus.read(RTC + 4, 4) << 32;
        bus.write(RTC + 0x0c, 4, (now + 1_000_000_000L) >>> 32);
        bus.write(RTC + 0x08, 4, (now + 1_000_000_000L) & 0xffffffffL);
        // virtio-rng over legacy virtio-mmio: one queue of 8 at RING, one request served
        bus.write(RNG_MMIO + 0x070, 4, 1 | 2);
        bus.write(RNG_MMIO + 0x020, 4, 0);
        bus.write(RNG_MMIO + 0x028, 4, 4096);
        bus.write(RNG_MMIO + 0x030, 4, 0);
        bus.write(RNG_MMIO + 0x038, 4, QUEUE);
        bus.write(RNG_MMIO + 0x040, 4, RING >>> 12);
        bus.write(RNG_MMIO + 0x070, 4, 1 | 2 | 4);
        request(m, 0);
        // bochs-display: BARs, decoding, a mode, pixels; virtio-rng-pci: its BARs and MSI-X enabled
        bus.write(ecam(m, "vga", 0x10), 4, FB);
        bus.write(ecam(m, "vga", 0x18), 4, VGA_MMIO);
        bus.write(ecam(m, "vga", 0x04), 2, PciDevice.COMMAND_MEMORY);
        bus.write(VGA_MMIO + 0x500 + 2 * 1, 2, 64);
        bus.write(VGA_MMIO + 0x500 + 2 * 2, 2, 48);
        bus.write(VGA_MMIO + 0x500 + 2 * 3, 2, 32);
        bus.write(VGA_MMIO + 0x500 + 2 * 4, 2, 1);
        bus.write(FB + 64, 4, 0x00ff8040L);
        bus.write(ecam(m, "rngpci", 0x14), 4, PCI_MMIO);
        bus.write(ecam(m, "rngpci", 0x04), 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        bus.write(PCI_MMIO + 8, 4, 0x12345678);   // MSI-X vector 0's data
    }

    /** Offers descriptor {@code n} (16 writable bytes at BUFFERS + 16n) as available entry n and notifies. */
    static void request(TestMachine m, int n) {
        SplitRing ring = new SplitRing(m.systemMemory());
        ring.descriptor(RING, n, BUFFERS + 16L * n, 16, SplitRing.WRITE, 0);
        ring.offer(RING + 16L * QUEUE, QUEUE, n, n);
        m.systemMemory().write(RNG_MMIO + 0x050, 4, 0);
    }

    /** Every realized device's state by path, as the machine's save takes it. */
    static Map<String, StateRecord> save(TestMachine m) {
        Map<String, StateRecord> out = new LinkedHashMap<>();
        collect(m.tree().resolve("/machine"), out);
        return out;
    }

    private static void collect(QObject o, Map<String, StateRecord> out) {
        if (o instanceof Device d && d.isRealized()) {
            StateRecord r = d.saveState();
            if (r != null) out.put(d.path(), r);
        }
        for (QObject c : o.children().values()) collect(c, out);
    }

    /** A fresh machine at the saved virtual time, with the saved RAM pages, and every device's state loaded. */
    static TestMachine restoredFrom(TestMachine a, Map<String, StateRecord> saved) {
        TestMachine b = machine();
        b.clock().advanceTo(a.clock().nanos());
        byte[] ram = new byte[0x20000];
        a.systemMemory().readBytes(RING, ram, 0, ram.length);
        b.systemMemory().writeBytes(RING, ram, 0, ram.length);
        saved.forEach((path, r) -> ((Device) b.tree().resolve(path)).restoreState(r));
        return b;
    }

    /** Registers a guest reads without side effects that differ between two machines in the same state. */
    static Map<String, Long> guestView(TestMachine m) {
        AddressSpace bus = m.systemMemory();
        Map<String, Long> v = new LinkedHashMap<>();
        for (int r : new int[]{1, 3, 4, 5, 6, 7}) v.put("uart " + r, bus.read(UART + r, 1));
        for (long off : new long[]{4 * 8, 4 * 10, 0x1000, 0x2000, 0x200000}) v.put("plic " + Long.toHexString(off), bus.read(PLIC + off, 4));
        v.put("msip", bus.read(SWI, 4));
        v.put("mtimecmp", bus.read(MTIMER, 8));
        v.put("mtime", bus.read(MTIMER + 0x7ff8, 8));
        v.put("rtc alarm", bus.read(RTC + 8, 4) | bus.read(RTC + 0xc, 4) << 32);
        v.put("rtc status", bus.read(RTC + 0x18, 4));
        v.put("rtc time", bus.read(RTC, 4) | bus.read(RTC + 4, 4) << 32);
        for (long off : new long[]{0x010, 0x034, 0x040, 0x060, 0x070}) v.put("rng-mmio " + Long.toHexString(off), bus.read(RNG_MMIO + off, 4));
        for (String id : new String[]{"vga", "rngpci"})
            for (int reg = 0; reg < 0x100; reg += 4) v.put(id + " cfg " + Integer.toHexString(reg), bus.read(ecam(m, id, reg), 4));
        for (int i = 0; i < 11; i++) v.put("dispi " + i, bus.read(VGA_MMIO + 0x500 + 2L * i, 2));
        v.put("framebuffer", bus.read(FB + 64, 4));
        v.put("msix data", bus.read(PCI_MMIO + 8, 4));
        v.put("MEIP", hart(m).fakeHart().pin(InterruptPin.MEIP) ? 1L : 0L);
        v.put("MSIP", hart(m).fakeHart().pin(InterruptPin.MSIP) ? 1L : 0L);
        v.put("MTIP", hart(m).fakeHart().pin(InterruptPin.MTIP) ? 1L : 0L);
        return v;
    }

    @Test void everyDeviceLoadsIntoAFreshMachineAndSavesTheSameState() {
        TestMachine a = machine();
        drive(a);
        Map<String, StateRecord> saved = save(a);
        Set<String> types = new TreeSet<>();
        saved.values().forEach(r -> types.add(r.name()));
        assertTrue(types.containsAll(Set.of("ns16550a", "riscv.sifive.plic", "riscv.aclint.swi", "riscv.aclint.mtimer", "goldfish_rtc",
                "riscv.sifive.test", "virtio-mmio", "virtio-rng-device", "virtio-blk-device", "virtio-net-device", "virtio-gpu-device",
                "virtio-keyboard-device", "virtio-tablet-device", "gpex-root", "bochs-display", "virtio-pci")), "types saved: " + types);

        TestMachine b = restoredFrom(a, saved);
        Map<String, StateRecord> again = save(b);
        assertEquals(saved.keySet(), again.keySet());
        for (String path : saved.keySet()) assertNull(saved.get(path).difference(again.get(path)), path);
        assertEquals(guestView(a), guestView(b));
        assertEquals(1L, guestView(b).get("MEIP"), "the UART's interrupt reaches the hart through the loaded PLIC");
        assertEquals(1L, guestView(b).get("MSIP"));
    }

    @Test void theUartDeliversTheBytesWaitingInItsFifo() {
        TestMachine a = machine();
        drive(a);
        TestMachine b = restoredFrom(a, save(a));
        AddressSpace bus = b.systemMemory();
        assertEquals(0x0c, bus.read(UART + 2, 1) & 0x0f, "IIR: character timeout (2 bytes, below the trigger level of 14)");
        assertEquals('h', bus.read(UART, 1));
        assertEquals('i', bus.read(UART, 1));
        assertEquals(0, bus.read(UART + 5, 1) & 1, "LSR: no more data");
        assertEquals(0x5a, bus.read(UART + 7, 1));
    }

    @Test void anArmedCompareFiresAtTheSameVirtualTime() {
        TestMachine a = machine();
        drive(a);
        long cmp = a.systemMemory().read(MTIMER, 8);
        long due = cmp * 100;   // 10 MHz: 100 ns a tick
        TestMachine b = restoredFrom(a, save(a));
        assertFalse(hart(b).fakeHart().pin(InterruptPin.MTIP));
        b.clock().advanceTo(due - 1);
        assertFalse(hart(b).fakeHart().pin(InterruptPin.MTIP), "not before mtime reaches mtimecmp");
        b.clock().advanceTo(due);
        assertTrue(hart(b).fakeHart().pin(InterruptPin.MTIP), "at mtime == mtimecmp");
    }

    @Test void aVirtqueueGoesOnWithTheNextRequest() {
        TestMachine a = machine();
        drive(a);
        assertEquals(1, a.systemMemory().read(RING + 0x1002, 2), "one request served before the save");
        TestMachine b = restoredFrom(a, save(a));
        request(b, 1);
        AddressSpace bus = b.systemMemory();
        assertEquals(2, bus.read(RING + 0x1002, 2), "used index after the next request");
        assertEquals(1, bus.read(RING + 0x1004 + 8, 4), "the used entry names descriptor 1");
        assertEquals(16, bus.read(RING + 0x1004 + 8 + 4, 4), "16 random bytes written");
        assertEquals(1, bus.read(RNG_MMIO + 0x060, 4), "interrupt status: used buffer");
    }

    @Test void aWronglyShapedStateIsRefusedAndChangesNothing() {
        TestMachine a = machine();
        drive(a);
        Device uart = (Device) a.tree().resolve("/machine/soc/serial@10000000");
        StateRecord good = uart.saveState();
        TestMachine b = machine();
        Device fresh = (Device) b.tree().resolve("/machine/soc/serial@10000000");
        StateRecord before = fresh.saveState();

        StateException missing = assertThrows(StateException.class, () -> fresh.restoreState(good.copy().remove("rx-fifo")));
        assertTrue(missing.getMessage().contains("rx-fifo"), missing.getMessage());
        StateRecord newer = new StateRecord(good.name(), 2);
        good.values().forEach(newer::put);
        StateException version = assertThrows(StateException.class, () -> fresh.restoreState(newer));
        assertTrue(version.getMessage().contains("version 2"), version.getMessage());
        StateRecord overfull = good.copy().put("rx-fifo", new byte[17]);
        assertThrows(StateException.class, () -> fresh.restoreState(overfull));
        StateRecord otherType = ((Device) a.tree().resolve("/machine/soc/plic@c000000")).saveState();
        assertThrows(StateException.class, () -> fresh.restoreState(otherType));
        assertNull(before.difference(fresh.saveState()), "the refused states changed nothing");
        assertEquals(0, b.systemMemory().read(UART + 7, 1), "scratch still at reset");
    }
}
