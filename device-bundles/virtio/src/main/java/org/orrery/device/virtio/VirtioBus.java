package org.orrery.device.virtio;

import org.orrery.machine.device.Device;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.QomException;

/**
 * The bus a virtio transport offers its one device (QEMU's "virtio-bus" family: "virtio-mmio-bus" on
 * virtio-mmio, "virtio-pci-bus" inside a virtio-pci device). Plugging hands the device to the transport,
 * the bus's owner.
 */
public final class VirtioBus extends DeviceBus {
    /** The abstract type of every virtio bus; virtio devices plug into buses of it. */
    public static final String TYPE = "virtio-bus";

    /** A transport that owns a virtio bus. */
    public interface Owner {
        void plug(VirtioDevice device);

        void unplug(VirtioDevice device);
    }

    @Override public int capacity() { return 1; }

    @Override protected void plugged(Device device) {
        if (!(owner() instanceof Owner o)) throw new QomException("'" + path() + "' belongs to no virtio transport");
        if (!(device instanceof VirtioDevice v)) throw new QomException("Device '" + device.type().name() + "' can't go on " + type().name() + " bus");
        o.plug(v);
    }

    @Override protected void unplugged(Device device) {
        if (owner() instanceof Owner o && device instanceof VirtioDevice v) o.unplug(v);
    }
}
