package org.orrery.device.virtio.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.virtio.VirtioBus;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The virtio types this bundle provides. */
final class VirtioTypes {
    private VirtioTypes() { }

    @Component(service = TypeProvider.class)
    public static final class DeviceBase extends DeviceType {
        public DeviceBase() { super(() -> TypeDescription.named(VirtioDevice.TYPE).parent("device").abstractType()
                .description("The base of virtio devices: they plug into a virtio bus (bus=, or the first free one)")
                .property(VirtioDevice.TRANSPORT)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Bus extends DeviceType {
        public Bus() { super(() -> TypeDescription.named(VirtioBus.TYPE).parent(DeviceBus.TYPE).abstractType()
                .description("The buses virtio devices plug into: one device each")); }
    }

    @Component(service = TypeProvider.class)
    public static final class MmioBus extends DeviceType {
        public MmioBus() { super(() -> TypeDescription.named(VirtioMmio.BUS_TYPE).parent(VirtioBus.TYPE)
                .description("The bus of a virtio-mmio transport").creates(VirtioBus::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Mmio extends DeviceType {
        public Mmio() { super(() -> MmioDevice.typeWithIrq(VirtioMmio.TYPE, VirtioMmio.class, VirtioMmio::new)
                .description("virtio-mmio transport (version 1, or 2 with force-legacy=off)")); }
    }

    @Component(service = TypeProvider.class)
    public static final class Blk extends DeviceType {
        public Blk() { super(() -> TypeDescription.named(VirtioBlk.TYPE).parent(VirtioDevice.TYPE)
                .description("virtio block device")
                .properties(VirtioBlk.DRIVE, VirtioBlk.SERIAL)
                .creates(VirtioBlk::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Rng extends DeviceType {
        public Rng() { super(() -> TypeDescription.named(VirtioRng.TYPE).parent(VirtioDevice.TYPE)
                .description("virtio entropy source")
                .property(VirtioRng.RNG)
                .creates(VirtioRng::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Net extends DeviceType {
        public Net() { super(() -> TypeDescription.named(VirtioNet.TYPE).parent(VirtioDevice.TYPE)
                .description("virtio network device")
                .properties(VirtioNet.NETDEV, VirtioNet.MAC)
                .creates(VirtioNet::new)); }
    }
}
