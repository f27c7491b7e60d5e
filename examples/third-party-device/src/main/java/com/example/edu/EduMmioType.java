package com.example.edu;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The whole wiring of the type: a DS component the type registry picks up while this bundle is active. */
@Component(service = TypeProvider.class)
public final class EduMmioType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(EduMmio.TYPE).parent("sys-bus-device")
                .description("MMIO teaching device: identification, liveness, factorial with an interrupt, DMA")
                .properties(MmioDevice.ADDR, MmioDevice.IRQ, EduMmio.BUFFER_SIZE)
                .creates(EduMmio::new);
    }
}
