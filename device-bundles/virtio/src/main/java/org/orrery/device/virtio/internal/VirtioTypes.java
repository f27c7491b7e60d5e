package org.orrery.device.virtio.internal;

import org.orrery.device.support.DeviceTypes;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.virtio.VirtioBus;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.TypeDescription;
import org.osgi.service.component.annotations.Component;

/** The virtio types this bundle provides: the device base, the buses, the MMIO transport and three devices. */
@Component
public final class VirtioTypes extends DeviceTypes {
    public VirtioTypes() {
        super(() -> TypeDescription.named(VirtioDevice.TYPE).parent("device").abstractType()
                        .description("The base of virtio devices: they plug into a virtio bus (bus=, or the first free one)")
                        .property(VirtioDevice.TRANSPORT),
                () -> TypeDescription.named(VirtioBus.TYPE).parent(DeviceBus.TYPE).abstractType()
                        .description("The buses virtio devices plug into: one device each"),
                () -> TypeDescription.named(VirtioMmio.BUS_TYPE).parent(VirtioBus.TYPE)
                        .description("The bus of a virtio-mmio transport").creates(VirtioBus::new),
                () -> MmioDevice.typeWithIrq(VirtioMmio.TYPE, VirtioMmio.class, VirtioMmio::new)
                        .description("virtio-mmio transport (version 1, or 2 with force-legacy=off)"),
                () -> device(VirtioBlk.TYPE, "virtio block device").properties(VirtioBlk.DRIVE, VirtioBlk.SERIAL)
                        .creates(VirtioBlk::new),
                () -> device(VirtioRng.TYPE, "virtio entropy source").property(VirtioRng.RNG).creates(VirtioRng::new),
                () -> device(VirtioNet.TYPE, "virtio network device").properties(VirtioNet.NETDEV, VirtioNet.MAC)
                        .creates(VirtioNet::new));
    }

    private static TypeDescription device(String name, String description) {
        return TypeDescription.named(name).parent(VirtioDevice.TYPE).description(description);
    }
}
