package org.orrery.device.uart.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The ns16550a UART type. */
@Component(service = TypeProvider.class)
public final class Ns16550aType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(Ns16550a.TYPE).parent("sys-bus-device")
                .description("NS16550A UART with 16-byte FIFOs")
                .properties(MmioDevice.ADDR, MmioDevice.IRQ, Ns16550a.CHARDEV, Ns16550a.REG_SHIFT, Ns16550a.CLOCK_FREQUENCY)
                .creates(Ns16550a::new);
    }
}
