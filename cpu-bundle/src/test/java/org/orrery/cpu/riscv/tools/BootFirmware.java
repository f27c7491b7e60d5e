package org.orrery.cpu.riscv.tools;

import java.nio.file.Files;
import java.nio.file.Path;

import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;

/**
 * Debug helper: boots a firmware image (e.g. Debian's OpenSBI fw_jump.bin) at 0x80000000 with a device
 * tree at the top of RAM and an optional S-mode payload at 0x80200000, on the test machine plus inert
 * MMIO windows where QEMU's virt has other devices. Usage: BootFirmware fw.bin virt.dtb [payload.bin] [insns]
 */
public final class BootFirmware {
    public static void main(String[] args) throws Exception {
        TestMachine m = new TestMachine();
        addInert(m);
        byte[] fw = Files.readAllBytes(Path.of(args[0]));
        byte[] dtb = Files.readAllBytes(Path.of(args[1]));
        m.bus.writeBytes(TestMachine.RAM_BASE, fw, 0, fw.length);
        long dtbAddr = TestMachine.RAM_BASE + TestMachine.RAM_SIZE - 0x200000;
        m.bus.writeBytes(dtbAddr, dtb, 0, Math.min(dtb.length, 0x100000));
        if (args.length > 2 && !args[2].equals("-")) {
            byte[] payload = Files.readAllBytes(Path.of(args[2]));
            m.bus.writeBytes(TestMachine.RAM_BASE + 0x200000, payload, 0, payload.length);
        }
        m.hart.debug().setPc(TestMachine.RAM_BASE);
        m.hart.debug().setGpr(10, 0);
        m.hart.debug().setGpr(11, dtbAddr);
        long max = args.length > 3 ? Long.parseLong(args[3]) : 200_000_000L;
        TestMachine.Result r = m.run(max);
        System.out.print(r.output());
        var d = m.hart.debug();
        System.out.printf("%n[finisher=%s insns=%d pc=%x priv=%d mcause=%x mepc=%x mtval=%x scause=%x sepc=%x stval=%x]%n",
            r.finisher(), r.instructions(), d.pc(), d.privilege(), d.csr(0x342), d.csr(0x341), d.csr(0x343),
            d.csr(0x142), d.csr(0x141), d.csr(0x143));
    }

    /** Inert windows for the virt devices the test machine does not model (reads 0, or all ones for PCI). */
    public static void addInert(TestMachine m) {
        inert(m, "plic", 0x0c00_0000L, 0x60_0000L, 0);
        inert(m, "rtc", 0x10_1000L, 0x1000, 0);
        inert(m, "virtio", 0x1000_1000L, 0x8000, 0);
        inert(m, "fw-cfg", 0x1010_0000L, 0x18, 0);
        inert(m, "flash", 0x2000_0000L, 0x400_0000L, 0);
        inert(m, "pcie-ecam", 0x3000_0000L, 0x1000_0000L, -1);
        inert(m, "pcie-mmio", 0x4000_0000L, 0x4000_0000L, -1);
        inert(m, "pcie-pio", 0x300_0000L, 0x1_0000L, -1);
        inert(m, "mrom", 0x1000L, 0xf000L, 0);
    }

    private static void inert(TestMachine m, String name, long base, long size, long value) {
        m.bus.root().addSubregion(base, MemoryRegion.mmio(name, size, new MmioHandler() {
            @Override public long read(long off, int sz) { return sz == 8 ? value : value & ((1L << (8 * sz)) - 1); }
            @Override public void write(long off, int sz, long v) { }
        }));
    }
}
