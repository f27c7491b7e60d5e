package org.orrery.device.aclint.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;

/** Properties both ACLINT devices share. */
final class Aclint {
    private Aclint() { }

    static final Property<Long> HARTID_BASE = Property.of("hartid-base", PropertyTypes.UINT32).defaultValue(0L)
            .description("hart id of the first hart served");
    static final Property<Long> NUM_HARTS = Property.of("num-harts", PropertyTypes.UINT32).defaultValue(1L)
            .description("number of harts served");
    static final Property<Boolean> SIFIVE_CLINT = Property.of("sifive-clint", PropertyTypes.BOOL).defaultValue(false)
            .description("part of a SiFive CLINT: the software-interrupt device writes one clint node for both, the timer none "
                    + "(otherwise each writes its own riscv,aclint-* node)");
    /** The CLINT's aperture in the device tree (SWI 0x4000 + MTIMER 0xc000 on virt). */
    static final long CLINT_SIZE = 0x10000;
}
