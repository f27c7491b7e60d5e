package org.orrery.device.aclint.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The two halves of the RISC-V ACLINT (together, the SiFive CLINT of QEMU's virt board). */
final class AclintTypes {
    private AclintTypes() { }

    @Component(service = TypeProvider.class)
    public static final class SwiType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(AclintSwi.TYPE).parent("sys-bus-device")
                    .description("RISC-V ACLINT machine-level software interrupt device (MSWI): one msip register per hart")
                    .properties(MmioDevice.ADDR, Aclint.HARTID_BASE, Aclint.NUM_HARTS, Aclint.SIFIVE_CLINT)
                    .creates(AclintSwi::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class MtimerType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(AclintMtimer.TYPE).parent("sys-bus-device")
                    .description("RISC-V ACLINT machine-level timer device (MTIMER): mtime and one mtimecmp per hart")
                    .properties(MmioDevice.ADDR, Aclint.HARTID_BASE, Aclint.NUM_HARTS, Aclint.SIFIVE_CLINT,
                            AclintMtimer.TIMECMP_BASE, AclintMtimer.TIME_BASE, AclintMtimer.APERTURE_SIZE, AclintMtimer.TIMEBASE_FREQ)
                    .creates(AclintMtimer::new);
        }
    }
}
