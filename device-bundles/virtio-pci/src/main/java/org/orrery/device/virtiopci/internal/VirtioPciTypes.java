package org.orrery.device.virtiopci.internal;

import org.orrery.device.pci.PciDevice;
import org.orrery.device.support.DeviceTypes;
import org.orrery.device.virtio.VirtioBus;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.qom.ObjectType;
import org.orrery.qom.Property;
import org.orrery.qom.TypeDeriver;
import org.orrery.qom.TypeDescription;
import org.osgi.service.component.annotations.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * The virtio-pci types: the bus inside a function, then the transport's base type (the flavours {@link PciFlavour} derives
 * from it make that bus); {@link PciFlavour} adds a PCI flavour of every virtio device.
 */
@Component
public final class VirtioPciTypes extends DeviceTypes {
    public VirtioPciTypes() {
        super(() -> TypeDescription.named(VirtioPciDevice.BUS_TYPE).parent(VirtioBus.TYPE)
                        .description("The bus inside a virtio-pci function that holds its virtio device").creates(VirtioBus::new),
                () -> TypeDescription.named(VirtioPciDevice.TYPE).parent(PciDevice.TYPE).abstractType()
                        .description("The base of virtio devices on PCI (virtio-blk-pci, virtio-rng-pci, ...)")
                        .properties(VirtioPciDevice.DISABLE_LEGACY, VirtioPciDevice.DISABLE_MODERN, VirtioPciDevice.VECTORS));
    }

    /**
     * For every concrete virtio device type "foo-device" (of any bundle, now or later), the type "foo-pci": a
     * virtio-pci function carrying one, with the device's properties. It goes when the device type goes.
     */
    @Component(service = TypeDeriver.class)
    public static final class PciFlavour implements TypeDeriver {
        static final String SUFFIX = "-device";

        @Override public TypeDescription derive(ObjectType source) {
            String name = source.name();
            if (source.isAbstract() || !source.isA(VirtioDevice.TYPE) || !name.endsWith(SUFFIX)) return null;
            List<Property<?>> forwarded = new ArrayList<>();
            for (Property<?> p : source.properties().values())
                if (!p.isComputed() && !p.name().equals("realized")) forwarded.add(p);
            TypeDescription d = TypeDescription.named(name.substring(0, name.length() - SUFFIX.length()) + "-pci")
                    .parent(VirtioPciDevice.TYPE)
                    .description(source.description() == null ? "virtio-pci with a " + name : source.description() + " on PCI")
                    .creates(() -> new VirtioPciDevice(name, forwarded));
            for (Property<?> p : forwarded) d.property(p);
            return d;
        }
    }
}
