package org.orrery.machine.device;

import org.orrery.machine.Machine;
import org.orrery.qom.Lifecycle;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

/**
 * The base of every device (type "device"): realized on its machine, reset with it. A device that plugs into a
 * bus says which kind ({@link #busType()}); before its properties are checked at realize it is given the bus
 * named by {@code bus=} or the first one of its kind with room, with QEMU's errors when there is none, and it
 * plugs itself in from its {@code onRealize} through {@link #plugIntoBus()}.
 */
public abstract class Device extends QObject implements org.orrery.machine.state.Stateful {
    public static final Property<Boolean> REALIZED = Property.of("realized", PropertyTypes.BOOL)
            .description("whether the device is realized (in use by the machine)").computed(QObject::isRealized);

    private String requestedBus;
    private DeviceBus parentBus;
    private boolean plugged;
    private boolean hotplugged;

    /** The machine this device belongs to. */
    protected final Machine machine() {
        Machine m = tree().attachment(Machine.class);
        if (m == null) throw new QomException(describe() + " is not part of a machine");
        return m;
    }

    /**
     * The description of this device's guest-visible state (see {@link org.orrery.machine.state.StateDescription}),
     * or null for a device whose state follows from its properties. Snapshots, migration and live upgrade use it.
     */
    @Override public org.orrery.machine.state.StateDescription<?> stateDescription() { return null; }

    /** Returns registers and internal state to their power-on values (system_reset). */
    public void reset() { }

    /** Whether a running guest can discover this device when it is plugged in (no bus here can). */
    public boolean isHotpluggable() { return false; }

    /** Lines the monitor's "info qtree" shows under the device's properties (a PCI function's class, address, BARs). */
    public java.util.List<String> monitorDetails() { return java.util.List.of(); }

    // ---- the bus this device plugs into ----

    /** The kind of bus this device plugs into ("PCI", "virtio-bus"), or null for a device that maps itself. */
    public String busType() { return null; }

    /** The bus this device is on, once chosen (at realize, or when a bus was set), else null. */
    public final DeviceBus parentBus() { return parentBus; }

    /** device_add's {@code bus=}: the bus to go on, looked up by name when the device is realized. */
    public final void requestBus(String busName) {
        requireUnrealized();
        requestedBus = busName;
    }

    /** Places the device on {@code bus} (a device that provides a bus for its own part does this). */
    public final void setParentBus(DeviceBus bus) {
        requireUnrealized();
        checkFits(bus);
        parentBus = bus;
    }

    /** Marks a device added to a built machine (device_add after start-up): only hotpluggable buses take it. */
    public final void markHotplugged() { hotplugged = true; }

    public final boolean isHotplugged() { return hotplugged; }

    /**
     * Chooses the bus now, with QEMU's errors: "Bus 'x' not found", "Device 'T' can't go on Y bus", "Bus 'x' is
     * full", "No 'T' bus found for device 'D'". Realize does it first; device_add calls it early on a built
     * machine so a wrong bus is reported before any property.
     */
    public final void chooseBus() {
        if (parentBus != null) return;
        if (requestedBus != null) {
            DeviceBus b = DeviceBus.find(tree(), requestedBus);
            if (b == null) throw new QomException("Bus '" + requestedBus + "' not found");
            checkFits(b);
            if (!b.hasRoom()) throw new QomException("Bus '" + requestedBus + "' is full");
            parentBus = b;
            return;
        }
        if (busType() == null) return;
        DeviceBus b = DeviceBus.firstWithRoom(tree(), busType());
        if (b == null) throw new QomException("No '" + busType() + "' bus found for device '" + type().name() + "'");
        parentBus = b;
    }

    private void checkFits(DeviceBus b) {
        if (!b.accepts(busType()))
            throw new QomException("Device '" + type().name() + "' can't go on " + b.type().name() + " bus");
    }

    private void requireUnrealized() {
        if (state() != Lifecycle.CREATED) throw new QomException(describe() + ": the bus can only be chosen before the device is realized");
    }

    @Override protected void onBeforeRealize() { chooseBus(); }

    /** Plugs the device into its bus (call from onRealize once the device is ready to be reached). */
    protected final void plugIntoBus() {
        if (parentBus == null) throw new QomException(describe() + " has no bus");
        parentBus.plug(this);
        plugged = true;
    }

    /** Takes the device off its bus (call from onUnrealize); the bus stays chosen for a later realize. */
    protected final void unplugFromBus() {
        if (!plugged) return;
        plugged = false;
        parentBus.unplug(this);
    }

    /** Whether the device left its bus while the machine runs is allowed (device_del). */
    public final void checkUnpluggable() {
        if (plugged && parentBus != null && !parentBus.isHotpluggable())
            throw new QomException("Bus '" + parentBus.busName() + "' does not support hotplugging");
    }
}
