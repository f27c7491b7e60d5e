package org.orrery.device.virtio;

import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.Device;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;

import java.util.List;

/**
 * The base of virtio devices (abstract type {@value #TYPE}). A device goes on a virtio bus: the one named by
 * {@code bus=}, or the first free one in QEMU's order (virt's virtio-mmio transports fill from the highest
 * address down); a virtio-pci device puts its own on its function's bus. The transport behind the bus plugs
 * it in when it is realized and out when it is unrealized. Subclasses describe themselves (device id,
 * features, queues, configuration space) and process their queues.
 *
 * <p>Every method is called on the machine thread.
 */
public abstract class VirtioDevice extends Device {
    public static final String TYPE = "virtio-device";

    /** VIRTIO_F_VERSION_1: the modern interface; every device offers it. */
    public static final long F_VERSION_1 = 1L << 32;
    /** VIRTIO_RING_F_INDIRECT_DESC: indirect descriptor tables. */
    public static final long F_INDIRECT_DESC = 1L << 28;

    public static final Property<String> TRANSPORT = Property.of("transport", PropertyTypes.STR)
            .description("the transport this device is plugged into").computed(VirtioDevice::transportPath);

    private VirtioTransport transport;
    private Virtqueue[] queues = new Virtqueue[0];
    /** Takes up the requests a loaded state had in flight, once the machine runs again (made on the first load). */
    private VirtualClock.Timer resume;

    /**
     * A state description for a virtio device: its queues (field {@code queues}) and what the subclass adds.
     * The transport's state (status, features, interrupt status) is the transport's own.
     */
    public static <T extends VirtioDevice> StateDescription.Builder<T> state(String typeName, Class<T> deviceClass, int version) {
        return StateDescription.of(typeName, deviceClass, version)
                .records("queues", Virtqueue.STATE, VirtioDevice::queues)
                .afterLoad(VirtioDevice::resumeInFlight);
    }

    /** The queues only; a device with more state overrides this with a description made by {@link #state}. */
    @Override public StateDescription<?> stateDescription() { return state(type().name(), VirtioDevice.class, 1).build(); }

    /**
     * Requests in flight when the state was saved are served again, from a timer due now: it fires when the
     * machine runs, after every device was loaded, so completing them sees the transport's loaded state.
     */
    private void resumeInFlight() {
        if (resume == null) resume = machine().clock().newTimer(this::resubmitHeld);
        resume.armAt(machine().clock().nanos());
    }

    private void resubmitHeld() {
        for (Virtqueue q : queues) for (Virtqueue.Element e : q.takeHeldChains()) resubmit(q, e);
    }

    /**
     * A request that was in flight when the state was saved, read again from guest memory: an asynchronous
     * device serves it again (the driver still waits for it). Devices that serve every chain before returning
     * from {@link #queueNotified} never have one.
     */
    protected void resubmit(Virtqueue queue, Virtqueue.Element request) { }

    private static String transportPath(VirtioDevice d) { return d.transport == null ? "" : d.transport.path(); }

    /** The virtio device id (2 = block, 4 = entropy source ...). */
    public abstract int deviceId();

    /** Device-specific feature bits offered (the transport adds VERSION_1 and ring features). */
    public abstract long deviceFeatures();

    /** Number of virtqueues. */
    public abstract int queueCount();

    /** Largest size of queue {@code index} (a power of two up to 32768). */
    public int queueMaxSize(int index) { return 256; }

    /** Size of the device configuration space in bytes. */
    public int configSize() { return 0; }

    /** Reads {@code size} bytes of the configuration space at {@code offset}, little-endian. */
    public long readConfig(int offset, int size) { return 0; }

    /** Writes the configuration space (most fields are read-only). */
    public void writeConfig(int offset, int size, long value) { }

    /** The driver made buffers available in {@code queue}. */
    protected abstract void queueNotified(Virtqueue queue);

    /** The driver set DRIVER_OK: the device is live with the negotiated features. */
    protected void driverReady() { }

    /** The driver reset the device (status 0) or the machine reset: drop in-flight work, restore defaults. */
    protected void deviceReset() { }

    public final VirtioTransport transport() { return transport; }

    public final Virtqueue queue(int index) { return queues[index]; }

    public final List<Virtqueue> queues() { return List.of(queues); }

    // ---- called by transports ----

    /** Called by the transport when this device is plugged into it. */
    public final void plugged(VirtioTransport t) {
        this.transport = t;
        queues = new Virtqueue[queueCount()];
        for (int i = 0; i < queues.length; i++) queues[i] = new Virtqueue(this, i, queueMaxSize(i));
    }

    /** Called by the transport when the device leaves it. */
    public final void unplugged() {
        transport = null;
        queues = new Virtqueue[0];
    }

    /** Called by the transport: resets the queues and the device state. */
    public final void transportReset() {
        for (Virtqueue q : queues) q.reset();
        deviceReset();
    }

    /** Called by the transport on a queue notification. */
    public final void notifyQueue(int index) {
        if (index < 0 || index >= queues.length) return;
        Virtqueue q = queues[index];
        if (q.isReady()) queueNotified(q);
    }

    /** Called by the transport when the driver sets DRIVER_OK. */
    public final void driverOk() { driverReady(); }

    // ---- plugging ----

    /** Virtio devices go on a virtio bus: a virtio-mmio transport's, or their own virtio-pci function's. */
    @Override public String busType() { return VirtioBus.TYPE; }

    @Override protected void onRealize() {
        if (transport == null) plugIntoBus();
    }

    @Override protected void onUnrealize() {
        if (resume != null) resume.cancel();
        unplugFromBus();
        transport = null;
    }

    @Override public void reset() {
        if (transport != null) transportReset();
    }

}
