package org.orrery.device.sifivetest.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.Machine;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.memory.MemoryRegion;

/**
 * The SiFive test device: a 32-bit register at offset 0 whose low 16 bits are a command and high 16 bits
 * an exit code. PASS (0x5555) powers off with status 0, FAIL (0x3333) with the code as exit status, RESET
 * (0x7777) resets the machine. Reads return zero. Device-tree: the syscon node plus the /poweroff and
 * /reboot nodes Linux and U-Boot use to reach it.
 */
final class SifiveTest extends MmioDevice {
    static final String TYPE = "riscv.sifive.test";
    static final long SIZE = 0x1000;
    static final int FAIL = 0x3333, PASS = 0x5555, RESET = 0x7777;

    @Override protected void onRealize() {
        RegisterBank regs = new RegisterBank(TYPE, log()).reg(0, 4, "finisher").read(() -> 0).write(this::finish).done();
        mapMmio(base(), MemoryRegion.mmio(TYPE + "@" + Long.toHexString(base()), SIZE, regs));
    }

    private void finish(long value) {
        int status = (int) value & 0xffff;
        int code = (int) (value >>> 16) & 0xffff;
        Machine m = machine();
        switch (status) {
            case PASS -> m.shutdown(true, "guest-shutdown", 0);
            case FAIL -> m.shutdown(true, "guest-shutdown", code);
            // reset between guest instructions, not inside the store that asked for it
            case RESET -> m.tree().safePoint().post(() -> m.reset("guest-reset"));
            default -> log().guestError("cmd" + status, String.format("unknown command 0x%04x", status));
        }
    }

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        int phandle = context.phandle("sifive-test@" + Long.toHexString(base()));
        FdtNode n = FdtNode.at("test", base());
        n.u32("phandle", phandle);
        n.reg(base(), SIZE);
        n.string("compatible", "sifive,test1", "sifive,test0", "syscon");
        context.soc().add(n);
        context.root().add(syscon("poweroff", "syscon-poweroff", PASS, phandle));
        context.root().add(syscon("reboot", "syscon-reboot", RESET, phandle));
    }

    private static FdtNode syscon(String name, String compatible, int value, int regmap) {
        return new FdtNode(name).u32("value", value).u32("offset", 0).u32("regmap", regmap).string("compatible", compatible);
    }
}
