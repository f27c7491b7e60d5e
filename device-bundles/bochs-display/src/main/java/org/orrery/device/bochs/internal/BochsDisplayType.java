package org.orrery.device.bochs.internal;

import org.orrery.device.pci.PciDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The type bochs-display. */
@Component(service = TypeProvider.class)
public final class BochsDisplayType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(BochsDisplay.TYPE).parent(PciDevice.TYPE)
                .description("PCI linear framebuffer with bochs VBE registers (no VGA)")
                .property(BochsDisplay.VGAMEM)
                .creates(BochsDisplay::new);
    }
}
