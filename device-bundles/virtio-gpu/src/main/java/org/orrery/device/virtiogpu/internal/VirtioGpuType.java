package org.orrery.device.virtiogpu.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The type virtio-gpu-device; virtio-pci derives virtio-gpu-pci from it. */
@Component(service = TypeProvider.class)
public final class VirtioGpuType extends DeviceType {
    public VirtioGpuType() { super(() -> TypeDescription.named(VirtioGpu.TYPE).parent(VirtioDevice.TYPE)
            .description("virtio GPU (2D): a display whose scanouts are consoles (screendump, VNC)")
            .properties(VirtioGpu.MAX_OUTPUTS, VirtioGpu.XRES, VirtioGpu.YRES, VirtioGpu.MAX_HOSTMEM)
            .creates(VirtioGpu::new)); }
}
