package org.orrery.device.rtc.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The Goldfish RTC type. */
@Component(service = TypeProvider.class)
public final class GoldfishRtcType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(GoldfishRtc.TYPE).parent("sys-bus-device")
                .description("Goldfish real-time clock: nanoseconds since the epoch, one alarm with an interrupt")
                .properties(MmioDevice.ADDR, MmioDevice.IRQ, GoldfishRtc.DATE)
                .creates(GoldfishRtc::new);
    }
}
