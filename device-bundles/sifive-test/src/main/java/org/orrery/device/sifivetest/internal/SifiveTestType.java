package org.orrery.device.sifivetest.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The SiFive test (finisher) device type. */
@Component(service = TypeProvider.class)
public final class SifiveTestType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(SifiveTest.TYPE).parent("sys-bus-device")
                .description("SiFive test finisher: guest poweroff (0x5555), reset (0x7777) and failure exit codes (code << 16 | 0x3333)")
                .property(MmioDevice.ADDR)
                .creates(SifiveTest::new);
    }
}
