package org.orrery.device.pci.internal;

import org.orrery.device.pci.PciBus;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.support.DeviceTypes;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.TypeDescription;
import org.osgi.service.component.annotations.Component;

/** The PCI types this bundle provides; the host bridge last, as it makes its root bus and its own function. */
@Component
public final class PciTypes extends DeviceTypes {
    public PciTypes() {
        super(() -> TypeDescription.named(PciDevice.TYPE).parent("device").abstractType()
                        .description("The base of PCI functions: they plug into a PCI bus (bus=, addr=)")
                        .properties(PciDevice.ADDR, PciDevice.ROMFILE, PciDevice.MULTIFUNCTION),
                () -> TypeDescription.named(PciBus.TYPE).parent(DeviceBus.TYPE)
                        .description("A conventional PCI bus").creates(PciBus::new),
                () -> TypeDescription.named(PciBus.EXPRESS_TYPE).parent(PciBus.TYPE)
                        .description("A PCI Express bus").creates(PciBus::new),
                () -> TypeDescription.named(GpexRoot.TYPE).parent(PciDevice.TYPE)
                        .description("The generic PCIe host bridge's own function (00.0)").creates(GpexRoot::new),
                () -> TypeDescription.named(GpexHost.TYPE).parent("sys-bus-device")
                        .description("Generic PCIe host bridge (ECAM), with its root bus pcie.0")
                        .properties(GpexHost.properties()).creates(GpexHost::new));
    }
}
