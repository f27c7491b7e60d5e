package org.orrery.board.virt.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.device.support.InterruptController;
import org.orrery.device.support.MmioDevice;
import org.orrery.machine.backend.MemoryBackend;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.device.DeviceTreeContributor;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.fdt.FdtWriter;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.loader.Image;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

import static org.orrery.board.virt.internal.VirtMap.*;

/**
 * The RISC-V virt board, laid out as QEMU 7.2 lays it out: harts under /machine/soc0, the boot ROM at
 * 0x1000, RAM at 0x80000000, and the platform devices under /machine/soc, each created by type name so a
 * missing bundle is a clear error naming the type:
 *
 * <pre>
 * test@100000            riscv.sifive.test     0x00100000
 * rtc@101000             goldfish_rtc          0x00101000  irq 11
 * aclint-swi@2000000     riscv.aclint.swi      0x02000000  (SiFive CLINT: msip)
 * aclint-mtimer@2004000  riscv.aclint.mtimer   0x02004000  (mtimecmp +0, mtime +0x7ff8)
 * plic@c000000           riscv.sifive.plic     0x0c000000  96 sources, contexts M and S per hart
 * serial@10000000        ns16550a              0x10000000  irq 10
 * virtio_mmio@1000N000   virtio-mmio           0x10001000 + i * 0x1000, irq 1 + i (i = 0..7)
 * pci@30000000           gpex-pcihost          ECAM 0x30000000, I/O 0x03000000, memory 0x40000000 and
 *                                              16 GiB above RAM (RV64), INTA..INTD on irq 32..35; bus pcie.0
 * </pre>
 *
 * Flash, fw_cfg and the platform bus are not modelled. Boot follows QEMU: firmware (OpenSBI's
 * fw_dynamic by default) at 0x80000000, a kernel after it at the next 2 MiB boundary, an initrd 128 MiB
 * (or half of RAM) above the kernel, and the device tree at the top of RAM below 3 GiB, 16 MiB aligned.
 */
final class VirtBoard extends Board {
    static final String TYPE = "virt-machine";
    static final String DEFAULT_FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
    static final String DEFAULT_CPU = "rv64";
    private static final Logger LOG = Logger.getLogger(VirtBoard.class.getName());

    private final List<CpuDevice> cpus = new ArrayList<>();
    private InterruptController plic;
    private MemoryRegion ram;
    private MemoryRegion rom;
    private MemoryBackend ramBackend;
    private QObject uart;

    /** What the last {@link #loadImages()} placed where (for tests and the monitor). */
    record BootLayout(Image firmware, Image kernel, Image initrd, long fdtAddress, byte[] fdt, long entry) { }

    private BootLayout layout;

    // ---- realize: build the board ----

    @Override protected void onRealize() {
        long ramSize = get(RAM_SIZE);
        // sizes are unsigned: 15E is a (refused) allocation, not a negative number
        if (ramSize == 0 || Long.remainderUnsigned(ramSize, 4096) != 0) throw new QomException("RAM size must be a positive multiple of 4 KiB");
        int smp = (int) (long) get(SMP);
        if (smp < 1 || smp > VIRT_CPUS_MAX) throw new QomException("Invalid SMP CPUs " + smp + ". The max CPUs supported by machine 'virt' is " + VIRT_CPUS_MAX);

        ramBackend = ramBackend("riscv_virt_board.ram");
        if (ramBackend.size() != ramSize && isSet(MEMORY_BACKEND) && isSet(RAM_SIZE))
            throw new QomException("ram-size 0x" + Long.toHexString(ramSize) + " does not match the memory backend's size 0x" + Long.toHexString(ramBackend.size()));
        var sys = machine().systemMemory().root();
        ram = MemoryRegion.ram("riscv_virt_board.ram", ramBackend.segment());
        sys.addSubregion(DRAM, ram);
        ramBackend.setMapped(true);
        try {
            buildDevices(smp);
        } catch (RuntimeException e) {
            // a half-built board maps nothing: its RAM backend may then go without a warning
            onUnrealize();
            throw e;
        }
    }

    private void buildDevices(int smp) {
        var sys = machine().systemMemory().root();
        rom = MemoryRegion.rom("riscv_virt_board.mrom", Arena.ofAuto().allocate(MROM_SIZE, 8));
        sys.addSubregion(MROM, rom);

        String cpuType = get(CPU_TYPE) != null ? get(CPU_TYPE) : DEFAULT_CPU;
        QObject soc0 = tree().container("/machine/soc0");
        for (int i = 0; i < smp; i++) {
            QObject o = soc0.child("harts[" + i + "]");
            if (o == null) {
                o = createDevice(soc0, "harts[" + i + "]", cpuType);
                if (!(o instanceof CpuDevice)) throw new QomException("CPU type '" + cpuType + "' is not a cpu");
                set(o, "hartid", i);
                set(o, "resetvec", MROM);
            }
            if (!o.isRealized()) o.realize();
            cpus.add((CpuDevice) o);
        }

        QObject soc = tree().container("/machine/soc");
        StringBuilder hartConfig = new StringBuilder();
        for (int i = 0; i < smp; i++) hartConfig.append(i == 0 ? "MS" : ",MS");
        QObject p = device(soc, "plic@c000000", "riscv.sifive.plic", PLIC, -1,
                "hart-config", hartConfig.toString(), "num-sources", IRQCHIP_NUM_SOURCES,
                "num-priorities", IRQCHIP_NUM_PRIORITIES, "aperture-size", PLIC_SIZE);
        if (!(p instanceof InterruptController ic)) throw new QomException("'" + p.path() + "' is not an interrupt controller");
        plic = ic;
        device(soc, "aclint-swi@2000000", "riscv.aclint.swi", CLINT, -1, "num-harts", smp, "sifive-clint", true);
        device(soc, "aclint-mtimer@2004000", "riscv.aclint.mtimer", CLINT + ACLINT_SWI_SIZE, -1,
                "num-harts", smp, "sifive-clint", true, "timecmp-base", 0, "time-base", 0x7ff8, "aperture-size", 0x8000,
                "timebase-freq", TIMEBASE_FREQ);
        device(soc, "test@100000", "riscv.sifive.test", TEST, -1);
        device(soc, "rtc@101000", "goldfish_rtc", RTC, RTC_IRQ);
        String serial = get(SERIAL_CHARDEV);
        boolean haveChardev = serial != null && !serial.isEmpty() && tree().resolve("/chardevs/" + serial) != null;
        uart = haveChardev ? device(soc, "serial@10000000", "ns16550a", UART0, UART0_IRQ, "chardev", serial)
                : device(soc, "serial@10000000", "ns16550a", UART0, UART0_IRQ);
        for (int i = 0; i < VIRTIO_COUNT; i++) {
            long a = VIRTIO + i * VIRTIO_STRIDE;
            device(soc, "virtio_mmio@" + Long.toHexString(a), VIRTIO_MMIO_TYPE, a, VIRTIO_IRQ + i);
        }
        boolean rv32 = xlen() == 32;
        long highSize = rv32 ? HIGH_PCIE_MMIO_SIZE_32 : HIGH_PCIE_MMIO_SIZE_64;
        long highBase = rv32 ? HIGH_PCIE_MMIO_BASE_32 : (DRAM + ram.size() + highSize - 1) / highSize * highSize;
        device(soc, "pci@" + Long.toHexString(PCIE_ECAM), "gpex-pcihost", PCIE_ECAM, PCIE_IRQ, "ecam-size", PCIE_ECAM_SIZE,
                "pio-base", PCIE_PIO, "pio-size", PCIE_PIO_SIZE, "mmio-base", PCIE_MMIO, "mmio-size", PCIE_MMIO_SIZE,
                "high-mmio-base", highBase, "high-mmio-size", highSize);
    }

    /** Creates (or reuses, when re-realized), configures and realizes one platform device. */
    private QObject device(QObject parent, String name, String type, long addr, int irq, Object... props) {
        QObject o = parent.child(name);
        if (o == null) {
            o = createDevice(parent, name, type);
            set(o, "addr", addr);
            if (irq >= 0) set(o, "irq", irq);
            for (int i = 0; i < props.length; i += 2) set(o, (String) props[i], props[i + 1]);
        }
        if (!o.isRealized()) o.realize();
        return o;
    }

    private static void set(QObject o, String prop, Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonNode node;
        if (v instanceof Integer i) node = f.numberNode(i.longValue());
        else if (v instanceof Long l) node = f.numberNode(l);
        else if (v instanceof Boolean b) node = f.booleanNode(b);
        else node = f.textNode(v.toString());
        o.setProperty(prop, Value.ofJson(prop, node));
    }

    @Override protected void onUnrealize() {
        var sys = machine().systemMemory().root();
        if (ram != null) sys.removeSubregion(ram);
        if (rom != null) sys.removeSubregion(rom);
        if (ramBackend != null) ramBackend.setMapped(false);
        ram = rom = null;
        plic = null;
        cpus.clear();
    }

    // ---- Board ----

    /** A device whose bundle came back was re-created in place: hold the new object, not the old one. */
    @Override protected void deviceRecreated(QObject device) {
        if (device instanceof CpuDevice cpu) {
            cpus.removeIf(c -> c.name().equals(cpu.name()) || !c.isRealized());
            cpus.add(cpu);
        } else if (uart != null && device.name().equals(uart.name())) {
            uart = device;
        }
    }

    @Override public List<Hart> harts() {
        List<CpuDevice> sorted = new ArrayList<>(cpus);
        // lambdas and instanceof, not Comparator.comparingLong or a type switch: the JDK links those at run time
        // on the command line's thread (ARCHITECTURE.md, Start-up)
        sorted.sort((a, b) -> Long.compare(a.get(CpuDevice.HART_ID), b.get(CpuDevice.HART_ID)));
        List<Hart> out = new ArrayList<>();
        for (CpuDevice c : sorted) out.add(c.hart());
        return out;
    }

    /**
     * The realized device-tree contributors in tree order, except that the virtio-mmio transports come from
     * the highest address down, as in QEMU's tree (libfdt prepends each node QEMU adds, and QEMU adds them
     * upwards). Guests probe transports in tree order and devices fill transports from the top (as in QEMU),
     * so the first -device becomes virtio0 and the first virtio disk /dev/vda, as on QEMU.
     */
    private List<QObject> contributorsInQemuOrder() {
        List<QObject> out = new ArrayList<>();
        List<Integer> transportSlots = new ArrayList<>();
        List<QObject> transports = new ArrayList<>();
        for (QObject o : tree().all()) {
            if (o == this || !o.isRealized() || !(o instanceof DeviceTreeContributor)) continue;
            if (o.type().isA(VIRTIO_MMIO_TYPE) && o instanceof MmioDevice) {
                transportSlots.add(out.size());
                transports.add(o);
            }
            out.add(o);
        }
        transports.sort((a, b) -> Long.compare(((MmioDevice) b).base(), ((MmioDevice) a).base()));
        for (int i = 0; i < transportSlots.size(); i++) out.set(transportSlots.get(i), transports.get(i));
        return out;
    }

    @Override public IrqLine platformIrq(int source) {
        if (plic == null) throw new QomException("the virt board's PLIC is not realized yet (platform interrupt " + source + ")");
        return plic.input(source);
    }

    static final String VIRTIO_MMIO_TYPE = "virtio-mmio";

    long ramSize() { return ram.size(); }

    BootLayout layout() { return layout; }

    // ---- device tree ----

    @Override public FdtNode buildDeviceTree() {
        VirtDeviceTree dt = new VirtDeviceTree(cpus, DRAM, ram == null ? get(RAM_SIZE) : ram.size(), TIMEBASE_FREQ);
        for (QObject o : contributorsInQemuOrder())
            ((DeviceTreeContributor) o).contributeDeviceTree(dt);
        if (uart != null && uart.isRealized() && dt.soc().child(uart.name()) != null)
            dt.chosen().string("stdout-path", "/soc/" + uart.name());
        return dt.root();
    }

    // ---- boot ----

    @Override public void loadImages() {
        var mem = machine().systemMemory();
        long ramSize = ram.size();
        long ramEnd = DRAM + ramSize;
        int xlen = xlen();
        List<Image> images = new ArrayList<>();

        String fw = get(FIRMWARE);
        Image firmware = null;
        if (fw == null || fw.isEmpty() || fw.equals("default")) {
            Path p = Path.of(DEFAULT_FIRMWARE);
            if (!Files.isRegularFile(p))
                throw new QomException("Unable to find the default firmware " + p + " (install Debian's 'opensbi' package, or use -bios none or -bios FILE)");
            firmware = Image.load("firmware", p, DRAM);
        } else if (!fw.equals("none")) {
            firmware = Image.load("firmware", Path.of(fw), DRAM);
        }
        if (firmware != null) {
            firmware.requireWithin(DRAM, ramSize, "RAM");
            images.add(firmware);
        }

        String kernelPath = get(KERNEL);
        Image kernel = null;
        long kernelEntry = 0;
        if (kernelPath != null && !kernelPath.isEmpty()) {
            long fwEnd = firmware == null ? DRAM : firmware.high();
            long align = xlen == 32 ? KERNEL_ALIGN_32 : KERNEL_ALIGN_64;
            long kernelStart = firmware == null ? DRAM : (fwEnd + align - 1) & -align;
            kernel = Image.load("kernel", Path.of(kernelPath), kernelStart);
            kernel.requireWithin(DRAM, ramSize, "RAM");
            for (Image other : images) kernel.requireDisjoint(other);
            images.add(kernel);
            kernelEntry = kernel.entry();
        }

        String initrdPath = get(INITRD);
        Image initrd = null;
        if (initrdPath != null && !initrdPath.isEmpty()) {
            if (kernel == null) throw new QomException("-initrd requires -kernel");
            long start = kernelEntry + Math.min(ramSize / 2, 128L << 20);
            initrd = Image.raw("initrd", Image.readFile("initrd", Path.of(initrdPath)), start);
            initrd.requireWithin(DRAM, ramSize, "RAM");
            for (Image other : images) initrd.requireDisjoint(other);
            images.add(initrd);
        }

        byte[] fdt;
        String dtbPath = get(DTB);
        if (dtbPath != null && !dtbPath.isEmpty()) {
            fdt = Image.readFile("device tree", Path.of(dtbPath));
            if (fdt.length < 40 || (fdt[0] & 0xff) != 0xd0 || (fdt[1] & 0xff) != 0x0d || (fdt[2] & 0xff) != 0xfe || (fdt[3] & 0xff) != 0xed)
                throw new QomException("'" + dtbPath + "' is not a flattened device tree blob");
            if (get(APPEND) != null || initrd != null)
                LOG.warning("-dtb " + dtbPath + " is used as it is: -append and -initrd are not written into its /chosen");
        } else {
            FdtNode root = buildDeviceTree();
            FdtNode chosen = root.childOrNew("chosen");
            String append = get(APPEND);
            if (append != null) chosen.string("bootargs", append);
            if (initrd != null) {
                chosen.u64("linux,initrd-start", initrd.low());
                chosen.u64("linux,initrd-end", initrd.high());
            }
            byte[] seed = new byte[32];
            new SecureRandom().nextBytes(seed);
            chosen.bytes("rng-seed", seed);
            fdt = FdtWriter.write(root, 0);
        }
        long top = DRAM < FDT_LIMIT ? Math.min(ramEnd, FDT_LIMIT) : ramEnd;
        long fdtAddr = (top - fdt.length) & -FDT_ALIGN;
        if (fdtAddr < DRAM) throw new QomException("the device tree (" + fdt.length + " bytes) does not fit in RAM");
        Image fdtImage = Image.raw("device tree", fdt, fdtAddr);
        for (Image other : images) fdtImage.requireDisjoint(other);

        String dump = get(DUMPDTB);
        if (dump != null && !dump.isEmpty()) {
            try {
                Files.write(Path.of(dump), fdt);
            } catch (IOException e) {
                throw new QomException("could not write the device tree to '" + dump + "': " + e.getMessage());
            }
            LOG.info("device tree written to " + dump);
            machine().quit(0);
            return;
        }

        for (Image i : images) i.writeTo(mem);
        fdtImage.writeTo(mem);

        long entry = firmware != null ? firmware.entry() : (kernel != null ? kernelEntry : DRAM);
        long nextAddr = kernel != null ? kernelEntry : DRAM + KERNEL_ALIGN_64;
        byte[] resetVector = ResetVector.build(xlen, entry, fdtAddr, nextAddr, 0);
        byte[] romImage = new byte[(int) MROM_SIZE];
        System.arraycopy(resetVector, 0, romImage, 0, resetVector.length);
        mem.writeBytes(MROM, romImage, 0, romImage.length);
        layout = new BootLayout(firmware, kernel, initrd, fdtAddr, fdt, entry);
    }

    private int xlen() {
        if (cpus.isEmpty()) return 64;
        String isa = cpus.get(0).isaString();
        return isa != null && isa.startsWith("rv32") ? 32 : 64;
    }
}
