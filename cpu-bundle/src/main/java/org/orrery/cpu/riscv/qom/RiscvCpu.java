package org.orrery.cpu.riscv.qom;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.RiscvHartFactory;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.device.CpuDevice;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

/**
 * A RISC-V CPU object: its extensions are properties (as QEMU's {@code -cpu rv64,c=off}); realizing it
 * creates the hart from the machine's environment.
 */
public class RiscvCpu extends CpuDevice {
    static final Property<Boolean> EXT_M = ext("m", "integer multiply and divide");
    static final Property<Boolean> EXT_A = ext("a", "atomic instructions");
    static final Property<Boolean> EXT_F = ext("f", "single-precision floating point");
    static final Property<Boolean> EXT_D = ext("d", "double-precision floating point (needs f)");
    static final Property<Boolean> EXT_C = ext("c", "compressed instructions");
    static final Property<Boolean> EXT_S = ext("s", "supervisor mode with virtual memory");
    static final Property<Boolean> EXT_U = ext("u", "user mode");
    static final Property<Boolean> SSTC = ext("sstc", "the Sstc extension (stimecmp)");

    private static final RiscvHartFactory FACTORY = new RiscvHartFactory();
    private final int xlen;

    RiscvCpu(int xlen) { this.xlen = xlen; }

    private static Property<Boolean> ext(String name, String description) {
        return Property.of(name, PropertyTypes.BOOL).defaultValue(true).description(description);
    }

    @Override protected Hart createHart(HartEnvironment environment) {
        try {
            RiscvConfig config = new RiscvConfig(Math.toIntExact(get(HART_ID)), get(RESET_VECTOR), xlen,
                    get(EXT_M), get(EXT_A), get(EXT_F), get(EXT_D), get(EXT_C), get(EXT_S), get(EXT_U), get(SSTC));
            return FACTORY.create(environment, config);
        } catch (IllegalArgumentException e) {
            throw new QomException(describe() + ": " + e.getMessage());
        }
    }

    @Override public String targetName() { return xlen == 64 ? "riscv64" : "riscv32"; }

    /** The ISA string for the device tree, from the enabled extensions (e.g. rv64imafdc_zicsr_zifencei). */
    @Override public String isaString() {
        StringBuilder b = new StringBuilder("rv").append(xlen).append('i');
        if (get(EXT_M)) b.append('m');
        if (get(EXT_A)) b.append('a');
        if (get(EXT_F)) b.append('f');
        if (get(EXT_D)) b.append('d');
        if (get(EXT_C)) b.append('c');
        b.append("_zicsr_zifencei");
        if (get(SSTC)) b.append("_sstc");
        return b.toString();
    }
}
