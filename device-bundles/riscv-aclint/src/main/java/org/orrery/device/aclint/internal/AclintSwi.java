package org.orrery.device.aclint.internal;

import org.orrery.device.support.Harts;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.device.HartWiring;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.QomException;

/**
 * ACLINT MSWI (ACLINT spec, chapter 3): a 16 KiB region with one 32-bit MSIP register per hart at
 * 4 * index; bit 0 drives the hart's machine software interrupt, the other bits read as zero.
 */
final class AclintSwi extends MmioDevice implements HartWiring {
    static final String TYPE = "riscv.aclint.swi";
    static final long SIZE = 0x4000;

    private boolean[] msip;
    private IrqLine[] pins;

    @Override protected void onRealize() {
        int n = (int) (long) get(Aclint.NUM_HARTS);
        if (n < 1 || n > 4095) throw new QomException(describe() + ": num-harts must be 1..4095, got " + n);
        long first = get(Aclint.HARTID_BASE);
        msip = new boolean[n];
        pins = new IrqLine[n];
        for (int i = 0; i < n; i++) pins[i] = Harts.require(tree(), first + i, describe()).interruptPin(InterruptPin.MSIP);
        RegisterBank regs = new RegisterBank(TYPE, log())
                .array(0, n, 4, 4, "msip", i -> msip[i] ? 1 : 0, (i, v) -> setMsip(i, (v & 1) != 0));
        mapMmio(base(), MemoryRegion.mmio(TYPE + "@" + Long.toHexString(base()), SIZE, regs));
    }

    @Override protected void onUnrealize() {
        if (pins != null) for (IrqLine p : pins) p.lower();
        pins = null;
        super.onUnrealize();
    }

    /** The harts were made again: their pins are new, and each gets its MSIP level. */
    @Override public void rewireHarts() {
        long first = get(Aclint.HARTID_BASE);
        for (int i = 0; i < pins.length; i++) {
            pins[i] = Harts.require(tree(), first + i, describe()).interruptPin(InterruptPin.MSIP);
            pins[i].setLevel(msip[i]);
        }
    }

    private void setMsip(int hart, boolean level) {
        msip[hart] = level;
        pins[hart].setLevel(level);
    }

    @Override public void reset() {
        if (msip == null) return;
        for (int i = 0; i < msip.length; i++) setMsip(i, false);
    }

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        int[] intc = context.hartInterruptControllers();
        int first = (int) (long) get(Aclint.HARTID_BASE);
        int n = (int) (long) get(Aclint.NUM_HARTS);
        boolean clint = get(Aclint.SIFIVE_CLINT);
        long[] cells = new long[n * (clint ? 4 : 2)];
        for (int i = 0, k = 0; i < n; i++) {
            int ph = first + i < intc.length ? intc[first + i] : 0;
            cells[k++] = ph;
            cells[k++] = InterruptPin.MSIP.mipBit();
            if (clint) { cells[k++] = ph; cells[k++] = InterruptPin.MTIP.mipBit(); }
        }
        FdtNode node;
        if (clint) {
            node = FdtNode.at("clint", base());
            node.u32("interrupts-extended", cells);
            node.reg(base(), Aclint.CLINT_SIZE);
            node.string("compatible", "sifive,clint0", "riscv,clint0");
        } else {
            node = FdtNode.at("mswi", base());
            node.u32("interrupts-extended", cells);
            node.reg(base(), SIZE);
            node.empty("interrupt-controller");
            node.u32("#interrupt-cells", 0);
            node.string("compatible", "riscv,aclint-mswi");
        }
        context.soc().add(node);
    }
}
