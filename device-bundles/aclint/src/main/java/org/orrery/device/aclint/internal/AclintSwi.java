package org.orrery.device.aclint.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.support.StateFields;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * ACLINT MSWI (ACLINT spec, chapter 3): a 16 KiB region with one 32-bit MSIP register per hart at
 * 4 * index; bit 0 drives the hart's machine software interrupt, the other bits read as zero.
 */
final class AclintSwi extends AclintDevice {
    static final String TYPE = "riscv.aclint.swi";
    static final String DESCRIPTION = "RISC-V ACLINT machine-level software interrupt device (MSWI): one msip register "
            + "per hart";
    static final long SIZE = 0x4000;

    /** The software-interrupt half of the ACLINT (with the timer, the SiFive CLINT of QEMU's virt board). */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> type(TYPE, AclintSwi.class, AclintSwi::new).description(DESCRIPTION)); }
    }

    private boolean[] msip;

    /** The MSIP bit of each hart; the pins are driven from them after a load. */
    static final StateDescription<AclintSwi> STATE = state(TYPE, AclintSwi.class, 1)
            .field(StateFields.booleans("msip", s -> s.msip))
            .afterLoad(AclintDevice::drivePins)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    @Override protected RegisterBank realizeRegisters() {
        int n = harts();
        msip = new boolean[n];
        return registers(SIZE).array(0, n, 4, 4, "msip", i -> msip[i] ? 1 : 0, (i, v) -> setMsip(i, (v & 1) != 0));
    }

    @Override protected void connect() { connectPins(hartPin()); }

    @Override InterruptPin hartPin() { return InterruptPin.MSIP; }

    @Override boolean pinLevel(int hart) { return msip[hart]; }

    private void setMsip(int hart, boolean level) {
        msip[hart] = level;
        pins[hart].setLevel(level);
    }

    @Override public void reset() {
        if (pins == null) return;
        for (int i = 0; i < msip.length; i++) setMsip(i, false);
    }

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        int[] intc = context.hartInterruptControllers();
        if (get(SIFIVE_CLINT)) {
            return socNode("clint", CLINT_SIZE, context)
                    .u32("interrupts-extended", interruptsExtended(intc, InterruptPin.MSIP, InterruptPin.MTIP))
                    .string("compatible", "sifive,clint0", "riscv,clint0");
        }
        return socNode("mswi", context).u32("interrupts-extended", interruptsExtended(intc, InterruptPin.MSIP))
                .empty("interrupt-controller").u32("#interrupt-cells", 0).string("compatible", "riscv,aclint-mswi");
    }
}
