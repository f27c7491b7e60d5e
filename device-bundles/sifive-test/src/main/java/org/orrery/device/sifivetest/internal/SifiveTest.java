package org.orrery.device.sifivetest.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.Machine;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * The SiFive test device: a 32-bit register at offset 0 whose low 16 bits are a command and high 16 bits
 * an exit code. PASS (0x5555) powers off with status 0, FAIL (0x3333) with the code as exit status, RESET
 * (0x7777) resets the machine. Reads return zero. Device-tree: the syscon node plus the /poweroff and
 * /reboot nodes Linux and U-Boot use to reach it.
 */
final class SifiveTest extends MmioDevice {
    static final String TYPE = "riscv.sifive.test";
    static final String DESCRIPTION = "SiFive test finisher: guest poweroff (0x5555), reset (0x7777) and failure exit "
            + "codes (code << 16 | 0x3333)";
    static final long SIZE = 0x1000;
    static final int FAIL = 0x3333, PASS = 0x5555, RESET = 0x7777;

    /** The SiFive test (finisher) device type. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> type(TYPE, SifiveTest.class, SifiveTest::new).description(DESCRIPTION)); }
    }

    @Override protected RegisterBank realizeRegisters() {
        return registers(SIZE).reg(0, 4, "finisher").constant(0).write(this::finish).done();
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

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        int phandle = context.phandle("sifive-test@" + Long.toHexString(base()));
        context.root().add(syscon("poweroff", "syscon-poweroff", PASS, phandle));
        context.root().add(syscon("reboot", "syscon-reboot", RESET, phandle));
        return socNode("test", context).u32("phandle", phandle).string("compatible", "sifive,test1", "sifive,test0", "syscon");
    }

    private static FdtNode syscon(String name, String compatible, int value, int regmap) {
        return new FdtNode(name).u32("value", value).u32("offset", 0).u32("regmap", regmap).string("compatible", compatible);
    }
}
