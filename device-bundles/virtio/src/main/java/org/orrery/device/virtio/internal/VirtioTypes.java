package org.orrery.device.virtio.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The virtio types this bundle provides. */
final class VirtioTypes {
    private VirtioTypes() { }

    @Component(service = TypeProvider.class)
    public static final class DeviceBase implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(VirtioDevice.TYPE).parent("device").abstractType()
                    .description("The base of virtio devices: they plug into the first free virtio transport")
                    .property(VirtioDevice.TRANSPORT);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Mmio implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(VirtioMmio.TYPE).parent("sys-bus-device")
                    .description("virtio-mmio transport (version 2)")
                    .properties(MmioDevice.ADDR, MmioDevice.IRQ, VirtioMmio.DEVICE)
                    .creates(VirtioMmio::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Blk implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(VirtioBlk.TYPE).parent(VirtioDevice.TYPE)
                    .description("virtio block device")
                    .properties(VirtioBlk.DRIVE, VirtioBlk.SERIAL)
                    .creates(VirtioBlk::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Rng implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(VirtioRng.TYPE).parent(VirtioDevice.TYPE)
                    .description("virtio entropy source")
                    .property(VirtioRng.RNG)
                    .creates(VirtioRng::new);
        }
    }
}
