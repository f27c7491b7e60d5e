package org.orrery.device.pci.internal;

import org.orrery.device.pci.PciBar;
import org.orrery.device.pci.PciBus;
import org.orrery.device.pci.PciHost;
import org.orrery.device.support.DeviceProperties;
import org.orrery.device.support.MmioDevice;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.qom.Property;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.List;

import static org.orrery.device.support.DeviceProperties.size;
import static org.orrery.device.support.DeviceProperties.uint64;

/**
 * The generic PCIe host bridge ({@value #TYPE}, QEMU's gpex): configuration space through ECAM at
 * {@code addr} (bus number in address bits 20-27, devfn in 12-19, register in 0-11), an I/O window whose
 * PCI addresses start at 0, memory windows where PCI and CPU addresses are the same, and four legacy
 * interrupt lines on consecutive platform interrupts from {@code irq}, with INTx pin P of slot S on line
 * (P - 1 + S) mod 4. Its root bus is {@code pcie.0}, with the host bridge function itself at 00.0; unmapped
 * parts of the windows read all ones and ignore writes, as QEMU's "allow-unmapped-accesses". The device
 * tree node is QEMU's pci-host-ecam-generic node.
 */
final class GpexHost extends MmioDevice implements PciHost {
    static final String TYPE = "gpex-pcihost";
    static final String ROOT_BUS = "pcie.0";
    static final int LINES = 4;

    static final Property<Long> ECAM_SIZE = size("ecam-size", 0x10000000L, "size of the ECAM window (1 MiB per bus)");

    /** The windows the host can open, each set by a base and a size property (size 0: none), in QEMU's order. */
    static final List<WindowSpec> WINDOWS = List.of(
            new WindowSpec(PciBar.Kind.IO, "pio", "the I/O window", "PCI I/O addresses from 0", "gpex-ioport-window"),
            new WindowSpec(PciBar.Kind.MEMORY32, "mmio", "the 32-bit memory window", "PCI and CPU addresses equal", "gpex-mmio-window"),
            new WindowSpec(PciBar.Kind.MEMORY64, "high-mmio", "the 64-bit memory window", "PCI and CPU addresses equal",
                    "gpex-high-mmio-window"));

    /** The type's properties: {@code addr}, {@code irq}, {@code ecam-size}, then each window's base and size. */
    static Property<?>[] properties() {
        List<Property<?>> out = new ArrayList<>(List.of(ADDR, IRQ, ECAM_SIZE));
        for (WindowSpec w : WINDOWS) {
            out.add(w.base());
            out.add(w.size());
        }
        return out.toArray(Property<?>[]::new);
    }

    /** A window the host can open: its address space, its properties ({@code NAME-base}, {@code NAME-size}) and its region. */
    record WindowSpec(PciBar.Kind space, Property<Long> base, Property<Long> size, String region) {
        WindowSpec(PciBar.Kind space, String name, String window, String addresses, String region) {
            this(space, uint64(name + "-base", 0L, "where " + window + " (" + addresses + ") is in system memory"),
                    DeviceProperties.size(name + "-size", 0L, "size of " + window + " (0: none)"), // size() is the accessor here
                    region);
        }
    }

    /** A window of the host: PCI addresses from {@code busBase} answer in {@code container}. */
    private record Window(PciBar.Kind space, long busBase, long cpuBase, MemoryRegion container) {
        boolean holds(long busAddress, long size) {
            long off = busAddress - busBase;
            return Long.compareUnsigned(busAddress, busBase) >= 0 && Long.compareUnsigned(off + size, container.size()) <= 0
                    && Long.compareUnsigned(off + size, off) > 0;
        }
    }

    private final List<Window> windows = new ArrayList<>();
    private final IrqLine[] lines = new IrqLine[LINES];
    private PciBus bus;

    @Override protected void onRealize() {
        long ecamSize = get(ECAM_SIZE);
        if (ecamSize < (1 << 20) || ecamSize > (256L << 20) || Long.bitCount(ecamSize) != 1)
            throw new QomException(describe() + ": ecam-size must be a power of two from 1 MiB to 256 MiB");
        for (int i = 0; i < LINES; i++) lines[i] = isSet(IRQ) ? platformIrq((int) (get(IRQ) + i)) : IrqLine.UNCONNECTED;
        windows.clear();
        for (WindowSpec w : WINDOWS) open(w);
        mapMmio(base(), MemoryRegion.mmio("pcie-mmcfg-mmio", ecamSize, new Ecam()));

        bus = child(ROOT_BUS) instanceof PciBus b ? b : (PciBus) tree().createChild(this, ROOT_BUS, PciBus.EXPRESS_TYPE);
        QObject root = child(GpexRoot.NAME);
        if (root == null) root = tree().createChild(this, GpexRoot.NAME, GpexRoot.TYPE);
        if (!root.isRealized()) {
            ((GpexRoot) root).setParentBus(bus);
            root.realize();
        }
    }

    private void open(WindowSpec spec) {
        long size = get(spec.size()), cpuBase = get(spec.base());
        if (size == 0) return;
        PciBar.Kind space = spec.space();
        long busBase = space == PciBar.Kind.IO ? 0 : cpuBase; // I/O addresses start at 0 on the bus; memory ones are the CPU's
        String name = spec.region();
        MemoryRegion container = MemoryRegion.container(name, size);
        // what no BAR claims reads all ones and ignores writes
        container.addSubregion(0, MemoryRegion.mmio(name + "-unassigned", size, new MmioHandler() {
            @Override public long read(long offset, int width) { return width >= 8 ? -1L : (1L << (8 * width)) - 1; }

            @Override public void write(long offset, int width, long value) { }
        }), -1);
        mapMmio(cpuBase, container);
        windows.add(new Window(space == PciBar.Kind.MEMORY64 ? PciBar.Kind.MEMORY32 : space, busBase, cpuBase, container));
    }

    @Override protected void onUnrealize() {
        for (IrqLine l : lines) if (l != null) l.lower();
        super.onUnrealize();
    }

    /** The root bus. */
    PciBus rootBus() { return bus; }

    // ---- PciHost ----

    @Override public boolean map(PciBar.Kind space, long busAddress, MemoryRegion region) {
        PciBar.Kind kind = space == PciBar.Kind.MEMORY64 ? PciBar.Kind.MEMORY32 : space;
        for (Window w : windows) {
            if (w.space() != kind || !w.holds(busAddress, region.size())) continue;
            w.container().addSubregion(busAddress - w.busBase(), region, 0);
            return true;
        }
        return false;
    }

    @Override public void unmap(MemoryRegion region) {
        if (region.parent() != null) region.parent().removeSubregion(region);
    }

    @Override public int intxLine(int devfn, int pin) { return pin < 1 || pin > 4 ? -1 : (pin - 1 + (devfn >> 3)) % LINES; }

    @Override public void setIntxLine(int line, boolean level) { lines[line].setLevel(level); }

    @Override public int intxLines() { return LINES; }

    @Override public AddressSpace dma() { return machine().systemMemory(); }

    /** ECAM: bus 0 only (there are no bridges); 8-byte accesses are two 4-byte ones. */
    private final class Ecam implements MmioHandler {
        @Override public long read(long offset, int size) {
            if (size == 8) return read(offset, 4) | read(offset + 4, 4) << 32;
            if (offset >>> 20 != 0 || bus == null) return (1L << (8 * size)) - 1;
            return bus.readConfig((int) (offset >>> 12) & 0xff, (int) (offset & 0xfff), size);
        }

        @Override public void write(long offset, int size, long value) {
            if (size == 8) {
                write(offset, 4, value & 0xffffffffL);
                write(offset + 4, 4, value >>> 32);
                return;
            }
            if (offset >>> 20 != 0 || bus == null) return;
            bus.writeConfig((int) (offset >>> 12) & 0xff, (int) (offset & 0xfff), size, value);
        }
    }

    // ---- device tree ----

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        int plic = context.interruptParent();
        long[] map = new long[4 * 4 * 6];
        int at = 0;
        for (int slot = 0; slot < 4; slot++)
            for (int pin = 1; pin <= 4; pin++) {
                long[] entry = {(long) slot << 11, 0, 0, pin, plic, get(IRQ) + intxLine(slot << 3, pin)};
                System.arraycopy(entry, 0, map, at, 6);
                at += 6;
            }
        List<Long> ranges = new ArrayList<>();
        for (Window w : windows) {
            long flags = switch (w.space()) {
                case IO -> 0x01000000L;
                default -> w.busBase() + w.container().size() > (1L << 32) ? 0x03000000L : 0x02000000L;
            };
            for (long v : new long[]{flags, w.busBase() >>> 32, w.busBase() & 0xffffffffL, w.cpuBase() >>> 32,
                    w.cpuBase() & 0xffffffffL, w.container().size() >>> 32, w.container().size() & 0xffffffffL}) ranges.add(v);
        }
        FdtNode n = FdtNode.at("pci", base());
        n.u32("interrupt-map-mask", 0x1800, 0, 0, 7);
        n.u32("interrupt-map", map);
        n.u32("ranges", ranges.stream().mapToLong(Long::longValue).toArray());
        n.reg(base(), get(ECAM_SIZE));
        n.empty("dma-coherent");
        n.u32("bus-range", 0, (get(ECAM_SIZE) >>> 20) - 1);
        n.u32("linux,pci-domain", 0);
        n.string("device_type", "pci");
        n.string("compatible", "pci-host-ecam-generic");
        n.u32("#size-cells", 2);
        n.u32("#interrupt-cells", 1);
        n.u32("#address-cells", 3);
        context.soc().add(n);
    }
}
