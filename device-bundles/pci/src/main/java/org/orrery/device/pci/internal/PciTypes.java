package org.orrery.device.pci.internal;

import org.orrery.device.pci.PciBus;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The PCI types this bundle provides. */
final class PciTypes {
    private PciTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Device extends DeviceType {
        public Device() { super(() -> TypeDescription.named(PciDevice.TYPE).parent("device").abstractType()
                .description("The base of PCI functions: they plug into a PCI bus (bus=, addr=)")
                .properties(PciDevice.ADDR, PciDevice.ROMFILE, PciDevice.MULTIFUNCTION)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Bus extends DeviceType {
        public Bus() { super(() -> TypeDescription.named(PciBus.TYPE).parent(DeviceBus.TYPE)
                .description("A conventional PCI bus").creates(PciBus::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class ExpressBus extends DeviceType {
        public ExpressBus() { super(() -> TypeDescription.named(PciBus.EXPRESS_TYPE).parent(PciBus.TYPE)
                .description("A PCI Express bus").creates(PciBus::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Host extends DeviceType {
        public Host() { super(() -> TypeDescription.named(GpexHost.TYPE).parent("sys-bus-device")
                .description("Generic PCIe host bridge (ECAM), with its root bus pcie.0")
                .properties(MmioDevice.ADDR, MmioDevice.IRQ, GpexHost.ECAM_SIZE, GpexHost.PIO_BASE, GpexHost.PIO_SIZE,
                        GpexHost.MMIO_BASE, GpexHost.MMIO_SIZE, GpexHost.HIGH_MMIO_BASE, GpexHost.HIGH_MMIO_SIZE)
                .creates(GpexHost::new)); }
    }

    @Component(service = TypeProvider.class)
    public static final class Root extends DeviceType {
        public Root() { super(() -> TypeDescription.named(GpexRoot.TYPE).parent(PciDevice.TYPE)
                .description("The generic PCIe host bridge's own function (00.0)").creates(GpexRoot::new)); }
    }
}
