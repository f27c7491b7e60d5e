package org.orrery.board.virt.internal;

/** QEMU 7.2's virt memory map and interrupt numbers (hw/riscv/virt.c, include/hw/riscv/virt.h). */
final class VirtMap {
    private VirtMap() { }

    static final long MROM = 0x1000, MROM_SIZE = 0xf000;
    static final long TEST = 0x100000;
    static final long RTC = 0x101000;
    static final long CLINT = 0x2000000;
    static final long ACLINT_SWI_SIZE = 0x4000;
    static final long PLIC = 0xc000000;
    static final long PLIC_CONTEXT_BASE = 0x200000, PLIC_CONTEXT_STRIDE = 0x1000;
    static final int VIRT_CPUS_MAX = 512;
    /** PLIC aperture: room for VIRT_CPUS_MAX harts with M and S contexts each, as QEMU reserves. */
    static final long PLIC_SIZE = PLIC_CONTEXT_BASE + 2L * VIRT_CPUS_MAX * PLIC_CONTEXT_STRIDE;
    static final long UART0 = 0x10000000;
    static final long VIRTIO = 0x10001000, VIRTIO_STRIDE = 0x1000;
    static final long DRAM = 0x80000000L;
    /** The PCIe host: ECAM, the I/O window (PCI I/O from 0), the 32-bit window, and the 64-bit one (below). */
    static final long PCIE_ECAM = 0x30000000L, PCIE_ECAM_SIZE = 0x10000000L;
    static final long PCIE_PIO = 0x03000000L, PCIE_PIO_SIZE = 0x10000L;
    static final long PCIE_MMIO = 0x40000000L, PCIE_MMIO_SIZE = 0x40000000L;
    /** The 64-bit window: 16 GiB on RV64 at the first multiple of its size above RAM; 4 GiB at 12 GiB on RV32. */
    static final long HIGH_PCIE_MMIO_SIZE_64 = 16L << 30, HIGH_PCIE_MMIO_BASE_32 = 0x300000000L, HIGH_PCIE_MMIO_SIZE_32 = 4L << 30;
    /** INTA..INTD of the PCIe host go to PLIC sources 32..35. */
    static final int PCIE_IRQ = 0x20;

    static final int UART0_IRQ = 10, RTC_IRQ = 11, VIRTIO_IRQ = 1, VIRTIO_COUNT = 8;
    static final int IRQCHIP_NUM_SOURCES = 96, IRQCHIP_NUM_PRIORITIES = 7;

    static final long TIMEBASE_FREQ = 10_000_000L;
    /** Where a kernel goes after the firmware: the firmware's end aligned up to 2 MiB (4 MiB on RV32). */
    static final long KERNEL_ALIGN_64 = 2L << 20, KERNEL_ALIGN_32 = 4L << 20;
    /** The device tree goes below min(end of RAM, 3 GiB), aligned down to 16 MiB (QEMU 7.2 riscv_load_fdt). */
    static final long FDT_LIMIT = 3072L << 20, FDT_ALIGN = 16L << 20;
}
