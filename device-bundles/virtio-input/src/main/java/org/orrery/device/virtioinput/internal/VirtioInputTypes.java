package org.orrery.device.virtioinput.internal;

import org.orrery.device.support.DeviceTypes;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.qom.TypeDescription;
import org.osgi.service.component.annotations.Component;

/** The virtio-input types; virtio-pci derives virtio-keyboard-pci and virtio-tablet-pci from them. */
@Component
public final class VirtioInputTypes extends DeviceTypes {
    public VirtioInputTypes() {
        super(() -> TypeDescription.named(VirtioKeyboard.TYPE).parent(VirtioDevice.TYPE)
                        .description("virtio keyboard: receives the keys of display front-ends (VNC)").creates(VirtioKeyboard::new),
                () -> TypeDescription.named(VirtioTablet.TYPE).parent(VirtioDevice.TYPE)
                        .description("virtio tablet (absolute pointer): receives the pointer of display front-ends (VNC)")
                        .creates(VirtioTablet::new));
    }
}
