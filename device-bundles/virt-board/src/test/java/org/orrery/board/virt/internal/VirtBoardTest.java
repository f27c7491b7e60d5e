package org.orrery.board.virt.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.FakeCpu;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.device.Board;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.fdt.FdtWriter;
import org.orrery.machine.loader.ElfFile;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class VirtBoardTest {
    static final Path OPENSBI = Path.of(VirtBoard.DEFAULT_FIRMWARE);
    static final Path UBOOT = Path.of("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin");
    TestMachine m;
    @TempDir Path tmp;

    @BeforeEach void setUp() {
        m = new TestMachine(ComponentScan.typeProviders()).withDerivers(ComponentScan.typeDerivers()).withFakeCpu("fake-rv64").withRamBackend()
                .withBlockNodes("block-node");
    }

    Board board(String... props) {
        Board b = m.machine().createBoard("virt");
        // 64 MiB: allocating (and zeroing) RAM dominates these tests' time
        b.setProperty("ram-size", Value.ofText("ram-size", "64M"));
        b.setProperty("cpu-type", Value.ofText("cpu-type", "fake-rv64")); // the real rv64 may be on the class path too
        for (int i = 0; i < props.length; i += 2) b.setProperty(props[i], Value.ofText(props[i], props[i + 1]));
        return b;
    }

    @Test void composesQemusMemoryMapUnderNamedObjects() {
        board("firmware", "none").realize();
        for (String p : List.of("/machine/soc0/harts[0]", "/machine/soc/plic@c000000", "/machine/soc/aclint-swi@2000000",
                "/machine/soc/aclint-mtimer@2004000", "/machine/soc/test@100000", "/machine/soc/rtc@101000",
                "/machine/soc/serial@10000000", "/machine/soc/virtio_mmio@10001000", "/machine/soc/virtio_mmio@10008000",
                "/objects/riscv_virt_board.ram"))
            assertNotNull(m.tree().resolve(p), p);
        AddressSpace bus = m.systemMemory();
        assertEquals(0x74726976L, bus.read(0x10001000L, 4), "virtio-mmio magic");
        assertEquals(0x60, bus.read(0x10000005L, 1), "UART LSR");
        bus.write(0x80000000L, 8, 0x1234);
        assertEquals(0x1234, bus.read(0x80000000L, 8), "RAM");
        assertEquals(0x83ffffffL, bus.find(0x83ffffffL).end() - 1, "64 MiB of RAM");
    }

    @Test void uartIsLinkedToSerial0WhenItExists() {
        m.create("/chardevs/serial0", "chardev-buffer").realize();
        board("firmware", "none").realize();
        assertEquals("/chardevs/serial0", m.tree().resolve("/machine/soc/serial@10000000").getProperty("chardev").textValue());
    }

    @Test void platformInterruptsReachThePlic() {
        board("firmware", "none").realize();
        AddressSpace bus = m.systemMemory();
        bus.write(0xc000000L + 4 * 10, 4, 1);
        bus.write(0xc002000L, 4, 1 << 10);
        m.machine().platformIrq(10).raise();
        FakeCpu cpu = (FakeCpu) m.tree().resolve("/machine/soc0/harts[0]");
        assertTrue(cpu.fakeHart().pin(org.orrery.machine.cpu.InterruptPin.MEIP));
        assertEquals(10, bus.read(0xc200004L, 4));
    }

    @Test void missingCpuTypeIsAClearError() {
        Board b = board("firmware", "none", "cpu-type", "rv128");
        QomException e = assertThrows(QomException.class, b::realize);
        assertTrue(e.getMessage().contains("'rv128'"), e.getMessage());
    }

    @Test void resetVectorEncodingsMatchTheIsa() {
        assertEquals(0x00000297, ResetVector.auipc(5, 0));
        assertEquals(0x02828613, ResetVector.addi(12, 5, 40));
        assertEquals(0xf1402573, ResetVector.csrrs(10, 0xf14, 0));
        assertEquals(0x0202b583, ResetVector.load(11, 5, 32, true));
        assertEquals(0x0182b283, ResetVector.load(5, 5, 24, true));
        assertEquals(0x0202a583, ResetVector.load(11, 5, 32, false));
        assertEquals(0x00028067, ResetVector.jalr(0, 5, 0));
    }

    @Test void bootsOpenSbiWithUBootLikeQemu() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(OPENSBI) && Files.isRegularFile(UBOOT), "opensbi and u-boot-qemu installed");
        Board b = board("kernel", UBOOT.toString(), "append", "console=ttyS0");
        m.machine().build();
        AddressSpace bus = m.systemMemory();
        assertEquals(0x00000297, bus.read(0x1000, 4));
        assertEquals(0x00028067, bus.read(0x1014, 4));
        assertEquals(0x80000000L, bus.read(0x1018, 8), "entry: the firmware");
        assertEquals(0x83000000L, bus.read(0x1020, 8), "fdt at the top of 64 MiB, 16 MiB aligned");
        assertEquals(0x4942534fL, bus.read(0x1028, 8), "fw_dynamic magic");
        assertEquals(2, bus.read(0x1030, 8), "version");
        assertEquals(0x80200000L, bus.read(0x1038, 8), "next_addr: the kernel");
        assertEquals(1, bus.read(0x1040, 8), "next_mode S");
        assertEquals(0xd00dfeedL, Integer.toUnsignedLong(Integer.reverseBytes((int) bus.read(0x83000000L, 4))));
        byte[] fw = Files.readAllBytes(OPENSBI);
        assertEquals(fw[0] & 0xff, bus.read(0x80000000L, 1));
        byte[] ub = Files.readAllBytes(UBOOT);
        assertEquals(((ub[3] & 0xff) << 24 | (ub[2] & 0xff) << 16 | (ub[1] & 0xff) << 8 | ub[0] & 0xff) & 0xffffffffL, bus.read(0x80200000L, 4));
        var layout = ((VirtBoard) b).layout();
        assertNotNull(layout);
        // a reset loads everything again
        bus.write(0x80200000L, 4, 0);
        m.machine().reset("guest-reset");
        assertNotEquals(0, bus.read(0x80200000L, 4));
    }

    @Test void elfFirmwareLoadsAtItsPhysicalAddresses() throws Exception {
        Path elf = Path.of("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf");
        Assumptions.assumeTrue(Files.isRegularFile(elf));
        ElfFile f = ElfFile.parse("fw_dynamic.elf", Files.readAllBytes(elf));
        assertEquals(64, f.bits());
        assertEquals(243, f.machine());
        assertEquals(0x80000000L, f.physicalEntry());
        board("firmware", elf.toString()).realize();
        m.machine().board().loadImages();
        assertEquals(0x80000000L, m.systemMemory().read(0x1018, 8));
    }

    @Test void initrdGoesAbove128MiBAndIntoChosen() throws Exception {
        Path kernel = tmp.resolve("kernel.bin");
        Files.write(kernel, new byte[4096]);
        Path initrd = tmp.resolve("initrd");
        Files.write(initrd, new byte[]{1, 2, 3, 4});
        Path dump = tmp.resolve("out.dtb");
        board("firmware", "none", "kernel", kernel.toString(), "initrd", initrd.toString(), "dumpdtb", dump.toString());
        m.machine().build();
        assertEquals(0, m.exitStatus(), "dumpdtb quits with 0");
        Dts d = Dts.decompile(dump);
        assertEquals("<0x00 0x82000000>", d.nodes.get("/chosen").get("linux,initrd-start"));
        assertEquals("<0x00 0x82000004>", d.nodes.get("/chosen").get("linux,initrd-end"));
    }

    @Test void imageErrorsAreClearAndEarly() throws Exception {
        Board b = board("firmware", "none", "kernel", tmp.resolve("missing").toString());
        b.realize();
        QomException e = assertThrows(QomException.class, b::loadImages);
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());

        Path big = tmp.resolve("big");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), (100L << 20));
        }
        b.set(Board.KERNEL, big.toString());
        e = assertThrows(QomException.class, b::loadImages);
        assertTrue(e.getMessage().contains("does not fit in RAM"), e.getMessage());

        Path fw = tmp.resolve("fw.bin");
        Files.write(fw, new byte[3 << 20]);
        b.set(Board.FIRMWARE, fw.toString());
        Path small = tmp.resolve("small");
        Files.write(small, new byte[16]);
        b.set(Board.KERNEL, small.toString());
        b.loadImages(); // the kernel moves up to the next 2 MiB boundary after the firmware
        assertEquals(0x80400000L, m.systemMemory().read(0x1038, 8));
    }

    @Test void missingDefaultFirmwareNamesThePackage() {
        Assumptions.assumeFalse(Files.isRegularFile(OPENSBI));
        Board b = board();
        b.realize();
        QomException e = assertThrows(QomException.class, b::loadImages);
        assertTrue(e.getMessage().contains("opensbi"), e.getMessage());
    }

    @Test void hotAddedVirtioDeviceAndThirdPartyNodesAppearInTheNextTree() {
        Board b = board("firmware", "none");
        b.realize();
        QObject rng = m.create("/machine/peripheral-anon/device[0]", "virtio-rng-device");
        rng.realize();
        assertEquals("/machine/soc/virtio_mmio@10008000", rng.getProperty("transport").textValue());
        assertNotNull(b.buildDeviceTree().child("soc").child("virtio_mmio@10008000"));
    }

    /**
     * Regression (issue 11): the tree listed the transports upwards while QEMU lists them from the top, so
     * Linux probed the transport of the last -device first and the first virtio disk became /dev/vdb.
     */
    @Test void virtioTransportsAreListedFromTheTopSoTheFirstDeviceIsProbedFirst() throws Exception {
        Board b = board("firmware", "none");
        b.realize();
        QObject first = m.create("/machine/peripheral-anon/device[0]", "virtio-rng-device");
        first.realize();
        QObject second = m.create("/machine/peripheral-anon/device[1]", "virtio-rng-device");
        second.realize();
        List<String> order = new ArrayList<>();
        for (FdtNode n : b.buildDeviceTree().child("soc").children())
            if (n.name().startsWith("virtio_mmio@")) order.add(n.name());
        List<String> expected = new ArrayList<>();
        for (int i = 7; i >= 0; i--) expected.add("virtio_mmio@" + Long.toHexString(0x10001000L + i * 0x1000L));
        assertEquals(expected, order, "virtio-mmio transports in device-tree order");
        assertEquals("/machine/soc/" + order.get(0), first.getProperty("transport").textValue(), "the first device is on the first transport probed");
        assertEquals("/machine/soc/" + order.get(1), second.getProperty("transport").textValue());

        if (!Files.isExecutable(Path.of("/usr/bin/qemu-system-riscv64"))) return;
        Path q = tmp.resolve("q.dtb");
        Process p = new ProcessBuilder("qemu-system-riscv64", "-machine", "virt,dumpdtb=" + q, "-m", "64M", "-nographic")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("qemu.log").toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dtc")));
        List<String> qemuOrder = new ArrayList<>();
        for (String path : Dts.decompile(q).nodes.keySet())
            if (path.startsWith("/soc/virtio_mmio@")) qemuOrder.add(path.substring("/soc/".length()));
        assertEquals(qemuOrder, order, "QEMU's order of the virtio-mmio nodes");
    }

    @Test void deviceTreeMatchesQemu() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-riscv64")) && Files.isExecutable(Path.of("/usr/bin/dtc")));
        Path q = tmp.resolve("q.dtb");
        Process p = new ProcessBuilder("qemu-system-riscv64", "-machine", "virt,dumpdtb=" + q, "-m", "64M", "-nographic")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("qemu.log").toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Board b = board("firmware", "none");
        b.realize();
        Path ours = tmp.resolve("ours.dtb");
        Files.write(ours, FdtWriter.write(b.buildDeviceTree(), 0));
        Dts qemu = Dts.decompile(q);
        Dts mine = Dts.decompile(ours);
        assertFalse(mine.stderr.contains("ERROR"), mine.stderr);
        for (String w : mine.stderr.split("\n"))
            if (!w.isBlank()) assertTrue(qemu.stderr.contains(w.substring(w.indexOf("Warning"))), "dtc warning QEMU's blob does not have: " + w);

        Set<String> notModelled = Set.of("/pmu", "/fw-cfg@10100000", "/flash@20000000", "/platform-bus@4000000", "/soc/pci@30000000");
        for (String path : qemu.nodes.keySet()) {
            if (notModelled.stream().anyMatch(path::startsWith)) continue;
            assertTrue(mine.nodes.containsKey(path), "QEMU's node " + path + " is missing");
        }
        for (String path : mine.nodes.keySet()) assertTrue(qemu.nodes.containsKey(path), "node " + path + " is not in QEMU's tree");

        Map<String, Integer> keyProps = Map.ofEntries(
                Map.entry("compatible", 0), Map.entry("reg", 0), Map.entry("interrupts", 0), Map.entry("#address-cells", 0),
                Map.entry("#size-cells", 0), Map.entry("#interrupt-cells", 0), Map.entry("interrupt-controller", 0),
                Map.entry("ranges", 0), Map.entry("device_type", 0), Map.entry("riscv,ndev", 0), Map.entry("clock-frequency", 0),
                Map.entry("timebase-frequency", 0), Map.entry("mmu-type", 0), Map.entry("value", 0), Map.entry("offset", 0),
                Map.entry("model", 0), Map.entry("status", 0), Map.entry("stdout-path", 0),
                Map.entry("interrupt-parent", 1), Map.entry("interrupts-extended", 2), Map.entry("regmap", 1), Map.entry("cpu", 1));
        for (String path : mine.nodes.keySet()) {
            for (var e : keyProps.entrySet()) {
                String prop = e.getKey();
                if (path.equals("/memory@80000000") && prop.equals("reg")) continue; // compared below
                assertEquals(qemu.resolved(path, prop, e.getValue()), mine.resolved(path, prop, e.getValue()), path + " " + prop);
            }
        }
        assertEquals(qemu.nodes.get("/memory@80000000").get("reg"), mine.nodes.get("/memory@80000000").get("reg"));
        assertNotNull(mine.nodes.get("/cpus/cpu@0").get("riscv,isa"));
    }
}
