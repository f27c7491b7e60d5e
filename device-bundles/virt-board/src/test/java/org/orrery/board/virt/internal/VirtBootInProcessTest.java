package org.orrery.board.virt.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.device.testing.BufferChardev;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.MemoryBlockNode;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.qom.QObject;
import org.orrery.qom.Value;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real RISC-V CPU (when its bundle is on the test class path) on the virt board, driven by a small run
 * loop on a manual clock: Debian's OpenSBI prints its banner and hands over to U-Boot, which reaches its
 * prompt on the UART and reads a file from a FAT image on a virtio disk.
 */
class VirtBootInProcessTest {
    static final Path UBOOT = Path.of("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin");
    @TempDir Path tmp;

    TestMachine m;
    BufferChardev console;
    MemoryBlockNode disk;
    Hart hart;
    String pendingInput = "";
    int mark;

    @Test void openSbiAndUBootReachThePromptAndReadAVirtioDisk() throws Exception {
        m = new TestMachine(ComponentScan.typeProviders()).withDerivers(ComponentScan.typeDerivers()).withRamBackend().withBlockNodes("block-node");
        Assumptions.assumeTrue(m.tree().registry().find("rv64").isPresent(), "no rv64 CPU type on the class path");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of(VirtBoard.DEFAULT_FIRMWARE)) && Files.isRegularFile(UBOOT));
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.vfat")) && Files.isExecutable(Path.of("/usr/bin/mcopy")));

        console = (BufferChardev) m.create("/chardevs/serial0", "chardev-buffer");
        console.realize();
        disk = (MemoryBlockNode) m.create("/blockdevs/d0", "block-node");
        disk.setProperty("size", Value.ofText("size", "8M"));
        disk.realize();
        byte[] image = java.nio.file.Files.readAllBytes(org.orrery.board.virt.FatDisk.make(tmp));
        System.arraycopy(image, 0, disk.data(), 0, image.length);

        Board b = m.machine().createBoard("virt");
        b.setProperty("ram-size", Value.ofText("ram-size", "128M"));
        b.setProperty("kernel", Value.ofText("kernel", UBOOT.toString()));
        QObject blk = m.create("/machine/peripheral/vd0", "virtio-blk-device");
        blk.setProperty("drive", Value.ofText("drive", "d0"));
        m.machine().build();
        hart = b.harts().get(0);

        expect("OpenSBI");
        expect("U-Boot");
        expect("=>");
        type("virtio scan; virtio info\n");
        expect("Block Device");
        expect("=>");
        type("load virtio 0 0x84000000 hello.txt; md.b 0x84000000 0x10\n");
        expect("bytes read");
        expect("Hello from");
        expect("=>");
    }

    private void type(String s) { pendingInput += s; }

    /** Runs the guest until {@code text} appears after the last match (40 s of host time at most). */
    private void expect(String text) {
        long deadline = System.nanoTime() + 40_000_000_000L;
        while (System.nanoTime() < deadline) {
            int at = console.output().indexOf(text, mark);
            if (at >= 0) { mark = at + text.length(); return; }
            hart.run(50_000);
            disk.complete();
            if (!pendingInput.isEmpty() && console.frontEnd().canReceive() > 0) {
                int n = console.type(pendingInput.substring(0, 1));
                pendingInput = pendingInput.substring(n);
            }
            m.manualClock().advance(500_000);
        }
        fail("timed out waiting for '" + text + "'; console:\n" + console.output());
    }
}
