package org.orrery.qom;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The whiteboard service through which a bundle contributes a type derived from each type it extends:
 * virtio-pci gives every virtio device "foo-device" a PCI flavour "foo-pci", so a virtio device added later,
 * by any bundle, is also a PCI device. A derived type exists exactly as long as its source type and its own
 * deriver: when either goes, the registry removes the derived type (and its live instances) in the same step.
 */
@ConsumerType
public interface TypeDeriver {
    /**
     * The type derived from {@code source}, or null when this deriver does not extend it. Called once per
     * source type (again only if the source type is replaced); must depend on {@code source} alone.
     */
    TypeDescription derive(ObjectType source);
}
