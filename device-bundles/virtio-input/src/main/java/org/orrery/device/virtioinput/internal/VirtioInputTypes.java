package org.orrery.device.virtioinput.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The virtio-input types; virtio-pci derives virtio-keyboard-pci and virtio-tablet-pci from them. */
final class VirtioInputTypes {
    private VirtioInputTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Keyboard extends DeviceType {
        public Keyboard() { super(() -> TypeDescription.named(VirtioKeyboard.TYPE).parent(VirtioDevice.TYPE)
                .description("virtio keyboard: receives the keys of display front-ends (VNC)")
                .creates(VirtioKeyboard::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Tablet extends DeviceType {
        public Tablet() { super(() -> TypeDescription.named(VirtioTablet.TYPE).parent(VirtioDevice.TYPE)
                .description("virtio tablet (absolute pointer): receives the pointer of display front-ends (VNC)")
                .creates(VirtioTablet::new)); }
    }
}
