package org.orrery.machine.device;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

/**
 * A CPU (type "cpu"): a device that owns one hart. CPU bundles subclass it and create their hart on
 * realize from the environment the machine gives.
 */
public abstract class CpuDevice extends Device {
    public static final Property<Long> HART_ID = Property.of("hartid", PropertyTypes.UINT32).defaultValue(0L)
            .description("the hart's id (mhartid)");
    public static final Property<Long> RESET_VECTOR = Property.of("resetvec", PropertyTypes.UINT64).defaultValue(0x1000L)
            .description("the address the hart starts at after reset");

    private Hart hart;

    /** The hart, once realized. */
    public final Hart hart() {
        if (hart == null) throw new QomException(describe() + " is not realized");
        return hart;
    }

    protected abstract Hart createHart(HartEnvironment environment);

    /** The ISA string the device tree's riscv,isa shows, e.g. "rv64imafdc_zicsr_zifencei". */
    public abstract String isaString();

    /** The device tree's mmu-type for this CPU, e.g. "riscv,sv48". */
    public String mmuType() { return "riscv,sv48"; }

    /** Architecture name for query-target/query-cpus-fast, e.g. "riscv64". */
    public abstract String targetName();

    @Override protected void onRealize() {
        hart = createHart(machine().hartEnvironment());
        hart.reset();
    }

    @Override protected void onUnrealize() {
        if (hart != null) hart.close();
        hart = null;
    }

    @Override public void reset() { if (hart != null) hart.reset(); }
}
