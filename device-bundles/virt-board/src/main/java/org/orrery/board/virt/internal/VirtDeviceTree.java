package org.orrery.board.virt.internal;

import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The virt board's device-tree skeleton (root, /cpus, /memory, /soc, /chosen), in QEMU 7.2's shape, and
 * the context devices add their nodes through.
 */
final class VirtDeviceTree implements DeviceTreeContext {
    private final FdtNode root = new FdtNode("");
    private final FdtNode soc;
    private final FdtNode chosen;
    private final Map<String, Integer> phandles = new HashMap<>();
    private final int[] intc;
    private final long timebase;
    private int next = 1;

    VirtDeviceTree(List<CpuDevice> cpus, long ramBase, long ramSize, long timebase) {
        this.timebase = timebase;
        root.u32("#address-cells", 2).u32("#size-cells", 2)
            .string("compatible", "riscv-virtio").string("model", "riscv-virtio,qemu");
        chosen = root.childOrNew("chosen");
        root.add(FdtNode.at("memory", ramBase)).string("device_type", "memory").reg(ramBase, ramSize);

        FdtNode cpusNode = root.childOrNew("cpus");
        cpusNode.u32("#address-cells", 1).u32("#size-cells", 0).u32("timebase-frequency", timebase);
        intc = new int[cpus.size()];
        FdtNode cluster = new FdtNode("cluster0");
        for (int i = 0; i < cpus.size(); i++) {
            CpuDevice c = cpus.get(i);
            long id = c.get(CpuDevice.HART_ID);
            int cpuPh = phandle("cpu" + id);
            int intcPh = phandle("cpu" + id + "-intc");
            intc[i] = intcPh;
            FdtNode cpu = cpusNode.add(FdtNode.at("cpu", id));
            cpu.u32("phandle", cpuPh).string("device_type", "cpu").u32("reg", id).string("status", "okay")
               .string("compatible", "riscv").string("riscv,isa", c.isaString());
            String mmu = c.mmuType();
            if (mmu != null) cpu.string("mmu-type", mmu);
            cpu.add(new FdtNode("interrupt-controller")).u32("#interrupt-cells", 1).empty("interrupt-controller")
               .string("compatible", "riscv,cpu-intc").u32("phandle", intcPh);
            cluster.add(new FdtNode("core" + i)).u32("cpu", cpuPh);
        }
        cpusNode.add(new FdtNode("cpu-map")).add(cluster);

        soc = root.childOrNew("soc");
        soc.u32("#address-cells", 2).u32("#size-cells", 2).string("compatible", "simple-bus").empty("ranges");
        phandle("plic");
    }

    @Override public FdtNode root() { return root; }
    @Override public FdtNode soc() { return soc; }
    @Override public FdtNode chosen() { return chosen; }
    @Override public int interruptParent() { return phandle("plic"); }
    @Override public int phandle(String label) { return phandles.computeIfAbsent(label, k -> next++); }
    @Override public int[] hartInterruptControllers() { return intc.clone(); }
    @Override public long timebaseFrequency() { return timebase; }
}
