package org.orrery.cpu.riscv.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.orrery.cpu.riscv.tools.BootFirmware;

/** Debian's OpenSBI (fw_jump) and U-Boot (qemu-riscv64_smode) loaded on a test machine with QEMU's virt device tree. */
public final class FirmwareImages {
    public static final Path OPENSBI = Path.of("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin");
    public static final Path UBOOT = Path.of("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin");

    private FirmwareImages() { }

    /** QEMU 7.2's virt device tree for 128 MiB, dumped once into target/. */
    public static synchronized Path virtDtb() throws IOException, InterruptedException {
        if (!Files.exists(OPENSBI)) throw new IllegalStateException(OPENSBI + " is missing: apt-get install -y opensbi");
        if (!Files.exists(UBOOT)) throw new IllegalStateException(UBOOT + " is missing: apt-get install -y u-boot-qemu");
        Path dtb = Path.of("target/virt.dtb").toAbsolutePath();
        if (Files.exists(dtb)) return dtb;
        Files.createDirectories(dtb.getParent());
        Process dump = new ProcessBuilder("qemu-system-riscv64", "-machine", "virt,dumpdtb=" + dtb, "-m", "128M",
            "-nographic", "-bios", "none").redirectErrorStream(true).start();
        dump.getInputStream().readAllBytes();
        if (!dump.waitFor(30, TimeUnit.SECONDS) || !Files.exists(dtb))
            throw new IllegalStateException("qemu-system-riscv64 could not dump the virt device tree");
        return dtb;
    }

    /** A test machine with OpenSBI at the start of RAM, U-Boot 2 MiB above, the device tree near the top; ready to run. */
    public static TestMachine boot(Engine engine, Path dtb) throws IOException {
        return boot(new TestMachine(engine), dtb);
    }

    /** Loads the firmware into a fresh machine {@code m} (see {@link #boot(Engine, Path)}). */
    public static TestMachine boot(TestMachine m, Path dtb) throws IOException {
        BootFirmware.addInert(m);
        byte[] fw = Files.readAllBytes(OPENSBI), payload = Files.readAllBytes(UBOOT), tree = Files.readAllBytes(dtb);
        m.bus.writeBytes(TestMachine.RAM_BASE, fw, 0, fw.length);
        m.bus.writeBytes(TestMachine.RAM_BASE + 0x200000, payload, 0, payload.length);
        long dtbAddr = TestMachine.RAM_BASE + TestMachine.RAM_SIZE - 0x200000;
        m.bus.writeBytes(dtbAddr, tree, 0, Math.min(tree.length, 0x100000));
        m.hart.reset();
        m.hart.debug().setGpr(11, dtbAddr);
        return m;
    }
}
