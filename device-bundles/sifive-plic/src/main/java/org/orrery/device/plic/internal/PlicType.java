package org.orrery.device.plic.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The SiFive PLIC type, with QEMU's property names. */
@Component(service = TypeProvider.class)
public final class PlicType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(SifivePlic.TYPE).parent("sys-bus-device")
                .description("RISC-V platform-level interrupt controller (SiFive PLIC): priorities, pending bits, "
                        + "per-context enables, thresholds and claim/complete")
                .properties(MmioDevice.ADDR, SifivePlic.HART_CONFIG, SifivePlic.HARTID_BASE, SifivePlic.NUM_SOURCES,
                        SifivePlic.NUM_PRIORITIES, SifivePlic.PRIORITY_BASE, SifivePlic.PENDING_BASE, SifivePlic.ENABLE_BASE,
                        SifivePlic.ENABLE_STRIDE, SifivePlic.CONTEXT_BASE, SifivePlic.CONTEXT_STRIDE, SifivePlic.APERTURE_SIZE)
                .creates(SifivePlic::new);
    }
}
