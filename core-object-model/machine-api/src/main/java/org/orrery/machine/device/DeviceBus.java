package org.orrery.machine.device;

import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A bus (abstract type {@value #TYPE}): where devices of one kind plug in, as QEMU's qbus. A bus is a child
 * object of the device that provides it, named by its bus name ({@code pcie.0}, {@code virtio-mmio-bus.0});
 * its type says which devices it takes: a device whose {@link Device#busType()} is the bus's type or one of
 * its ancestors ("PCI" devices go on a "PCIE" bus, "virtio-bus" devices on a "virtio-mmio-bus").
 *
 * <p>Concrete buses decide what plugging means (a slot, a transport) in {@link #plugged} and
 * {@link #unplugged}. Every method runs on the machine thread.
 */
public abstract class DeviceBus extends QObject {
    public static final String TYPE = "bus";

    private final List<Device> devices = new ArrayList<>();

    /** The bus name devices give as {@code bus=}: the name under which its device holds it. */
    public final String busName() { return name(); }

    /** The device that provides this bus. */
    public final Device owner() { return parent() instanceof Device d ? d : null; }

    /** The devices plugged in, in the order they were plugged. */
    public final List<Device> devices() { return Collections.unmodifiableList(devices); }

    /** How many devices the bus takes (a virtio transport's bus takes one). */
    public int capacity() { return Integer.MAX_VALUE; }

    /** Whether a device may be plugged in or out while the machine runs (QEMU's "does not support hotplugging"). */
    public boolean isHotpluggable() { return true; }

    /** Whether devices of {@code busType} go on this bus. */
    public final boolean accepts(String busType) { return busType != null && type().isA(busType); }

    /** Whether another device fits. */
    public final boolean hasRoom() { return devices.size() < capacity(); }

    /** Connects {@code device} (called by {@link #plug}); throw {@link QomException} to refuse it. */
    protected abstract void plugged(Device device);

    /** Disconnects {@code device} (called by {@link #unplug}). */
    protected abstract void unplugged(Device device);

    /** Plugs a device that realizes on this bus. */
    final void plug(Device device) {
        if (devices.contains(device)) return;
        if (!hasRoom()) throw new QomException("Bus '" + busName() + "' is full");
        if (device.isHotplugged() && !isHotpluggable())
            throw new QomException("Bus '" + busName() + "' does not support hotplugging");
        plugged(device);
        devices.add(device);
    }

    /** Unplugs a device that unrealizes. */
    final void unplug(Device device) {
        if (!devices.remove(device)) return;
        unplugged(device);
    }

    // ---- finding buses ----

    /** The bus named {@code name} (a bus name, or a path to a bus object), or null. */
    public static DeviceBus find(ObjectTree tree, String name) {
        if (name.startsWith("/")) return tree.resolve(name) instanceof DeviceBus b ? b : null;
        for (QObject o : tree.all()) if (o instanceof DeviceBus b && b.busName().equals(name)) return b;
        return null;
    }

    /**
     * Where a device of {@code busType} goes when it names no bus: the bus with room of the most recently
     * created device, as QEMU searches its buses (newest child first), so virt's virtio-mmio transports fill
     * from the highest address down. Null when there is none.
     */
    public static DeviceBus firstWithRoom(ObjectTree tree, String busType) {
        List<QObject> all = tree.all();
        for (int i = all.size() - 1; i >= 0; i--)
            if (all.get(i) instanceof DeviceBus b && b.accepts(busType) && b.hasRoom() && b.owner() != null && b.owner().isRealized())
                return b;
        return null;
    }

    /** The first name {@code prefix.N} no bus of the tree has, as QEMU numbers the buses it names itself. */
    public static String freeName(ObjectTree tree, String prefix) {
        for (int i = 0; ; i++) if (find(tree, prefix + "." + i) == null) return prefix + "." + i;
    }

    /** The buses of the tree, in tree order. */
    public static List<DeviceBus> all(ObjectTree tree) {
        List<DeviceBus> out = new ArrayList<>();
        for (QObject o : tree.all()) if (o instanceof DeviceBus b) out.add(b);
        return out;
    }
}
