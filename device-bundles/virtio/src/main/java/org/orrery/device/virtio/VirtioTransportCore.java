package org.orrery.device.virtio;

import org.orrery.device.support.GuestLog;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.state.StateDescription;

/**
 * What every virtio transport does the same way, whatever its registers look like (virtio-mmio versions 1
 * and 2, virtio-pci's legacy I/O window and its modern capabilities): the plugged device, feature
 * negotiation, the device status with reset on 0, queue selection and setup, the interrupt status (ISR)
 * and the configuration generation. A transport owns one core, maps its registers onto these methods and
 * delivers interrupts when the core tells its {@link Host}.
 *
 * <p>A <em>legacy</em> core (virtio 1.2, sections 4.1.4.8 and 4.2.4) offers only the first 32 feature bits,
 * has no FEATURES_OK step, and takes each queue as one page frame number with the legacy ring layout.
 *
 * <p>Every method runs on the machine thread.
 */
public final class VirtioTransportCore implements VirtioTransport {
    public static final int S_ACKNOWLEDGE = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_NEEDS_RESET = 64, S_FAILED = 128;
    /** ISR bits: a used buffer, a configuration change. */
    public static final int ISR_QUEUE = 1, ISR_CONFIG = 2;
    /** The source {@link Host#interrupt} names for a configuration change (queues are 0, 1, ...). */
    public static final int CONFIG = -1;

    /** What the transport around a core provides. */
    public interface Host {
        /** Where the device's DMA goes. */
        AddressSpace dma();

        /**
         * The ISR changed: raised by {@code source} (a queue index, or {@link #CONFIG}), or cleared when
         * {@code source} is null. A transport with a level interrupt drives it from {@link #isr()}.
         */
        void interrupt(Integer source);

        long baseAddress();

        String path();

        GuestLog guestLog();
    }

    private final Host host;
    private final boolean legacy;
    private VirtioDevice device;
    private int deviceFeaturesSel, driverFeaturesSel, queueSel;
    private long driverFeatures;
    private int status, isr, configGeneration;

    /**
     * What the driver set up through the transport: status, the features it accepted, the selectors, the
     * interrupt status and the configuration generation. The queues are the device's state; the transport
     * drives its interrupt again from the loaded ISR ({@link Host#interrupt}).
     */
    public static final StateDescription<VirtioTransportCore> STATE = StateDescription.of("virtio-transport", VirtioTransportCore.class, 1)
            .u8("status", c -> c.status, (c, v) -> c.status = (int) v)
            .u64("driver-features", c -> c.driverFeatures, (c, v) -> c.driverFeatures = v)
            .i32("device-features-select", c -> c.deviceFeaturesSel, (c, v) -> c.deviceFeaturesSel = (int) v)
            .i32("driver-features-select", c -> c.driverFeaturesSel, (c, v) -> c.driverFeaturesSel = (int) v)
            .i32("queue-select", c -> c.queueSel, (c, v) -> c.queueSel = (int) v)
            .u8("isr", c -> c.isr, (c, v) -> c.isr = (int) v)
            .i32("config-generation", c -> c.configGeneration, (c, v) -> c.configGeneration = (int) v)
            .build();

    public VirtioTransportCore(Host host, boolean legacy) {
        this.host = host;
        this.legacy = legacy;
    }

    public boolean isLegacy() { return legacy; }

    public VirtioDevice device() { return device; }

    // ---- plugging ----

    /** Connects {@code d}: it gets its queues and starts from reset. */
    public void plug(VirtioDevice d) {
        device = d;
        d.plugged(this);
        reset();
    }

    /** Disconnects the device (it is unplugged or unrealized). */
    public void unplug() {
        if (device == null) return;
        reset();
        device.unplugged();
        device = null;
        host.interrupt(null);
    }

    // ---- VirtioTransport ----

    @Override public AddressSpace dma() { return host.dma(); }
    @Override public long negotiatedFeatures() { return driverFeatures; }
    @Override public long baseAddress() { return host.baseAddress(); }
    @Override public String path() { return host.path(); }

    @Override public void notifyUsed(Virtqueue q) {
        if (!q.needsNotification()) return;
        isr |= ISR_QUEUE;
        host.interrupt(q.index());
    }

    @Override public void configChanged() {
        configGeneration++;
        isr |= ISR_CONFIG;
        host.interrupt(CONFIG);
    }

    @Override public void needsReset(String why) {
        host.guestLog().guestError("needs-reset", (device == null ? "" : device.type().name() + ": ") + why + "; device needs reset");
        status |= S_NEEDS_RESET;
        if ((status & S_DRIVER_OK) != 0) configChanged();
    }

    // ---- features ----

    /** Every feature the device offers with the transport's own (VERSION_1 only on a modern transport). */
    public long offeredFeatures() {
        if (device == null) return 0;
        long f = device.deviceFeatures() | VirtioDevice.F_INDIRECT_DESC;
        return legacy ? f & 0xffffffffL : f | VirtioDevice.F_VERSION_1;
    }

    public int deviceFeaturesSelect() { return deviceFeaturesSel; }
    public void selectDeviceFeatures(long v) { deviceFeaturesSel = (int) v; }
    public int driverFeaturesSelect() { return driverFeaturesSel; }
    public void selectDriverFeatures(long v) { driverFeaturesSel = (int) v; }

    /** The selected 32-bit window of the offered features (nothing beyond bit 63). */
    public long deviceFeaturesWindow() {
        if (deviceFeaturesSel < 0 || deviceFeaturesSel > 1) return 0;
        return (offeredFeatures() >>> (32 * deviceFeaturesSel)) & 0xffffffffL;
    }

    /** The selected 32-bit window of the driver's features. */
    public long driverFeaturesWindow() {
        if (driverFeaturesSel < 0 || driverFeaturesSel > 1) return 0;
        return (driverFeatures >>> (32 * driverFeaturesSel)) & 0xffffffffL;
    }

    public void writeDriverFeatures(long v) {
        if ((status & S_FEATURES_OK) != 0) {
            host.guestLog().guestError("features-late", "driver features written after FEATURES_OK");
            return;
        }
        if (driverFeaturesSel < 0 || driverFeaturesSel > 1 || (legacy && driverFeaturesSel != 0)) return;
        int shift = 32 * driverFeaturesSel;
        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((v & 0xffffffffL) << shift);
    }

    // ---- status ----

    public int status() { return status; }

    /** A status write: 0 resets; FEATURES_OK is refused (left clear) for features not offered. */
    public void writeStatus(long v) {
        int s = (int) v & 0xff;
        if (s == 0) {
            reset();
            return;
        }
        if (!legacy && (s & S_FEATURES_OK) != 0 && (status & S_FEATURES_OK) == 0) {
            long offered = offeredFeatures();
            if ((driverFeatures & ~offered) != 0 || (driverFeatures & VirtioDevice.F_VERSION_1) == 0) {
                host.guestLog().guestError("features", String.format("driver features 0x%x not acceptable (offered 0x%x, VERSION_1 required)", driverFeatures, offered));
                s &= ~S_FEATURES_OK; // the driver reads status back and sees the refusal
            }
        }
        int rising = s & ~status;
        status = s | (status & S_NEEDS_RESET);
        if ((rising & S_DRIVER_OK) != 0 && device != null) device.driverOk();
    }

    /** The device reset: status, features, selectors, queues and the interrupt status. */
    public void reset() {
        status = 0;
        isr = 0;
        driverFeatures = 0;
        deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
        if (device != null) device.transportReset();
        host.interrupt(null);
    }

    // ---- the interrupt status ----

    public int isr() { return isr; }

    /** Reading virtio-pci's ISR clears it. */
    public int takeIsr() {
        int v = isr;
        if (v != 0) {
            isr = 0;
            host.interrupt(null);
        }
        return v;
    }

    /** virtio-mmio's InterruptACK: clears the given bits. */
    public void acknowledge(long bits) {
        isr &= ~(int) bits;
        host.interrupt(null);
    }

    public int configGeneration() { return configGeneration; }

    // ---- queues ----

    public int queueSelect() { return queueSel; }
    public void selectQueue(long v) { queueSel = (int) v; }

    /** The selected queue, or null when there is none by that number. */
    public Virtqueue queue() {
        if (device == null || queueSel < 0 || queueSel >= device.queueCount()) return null;
        return device.queue(queueSel);
    }

    public int queueCount() { return device == null ? 0 : device.queueCount(); }

    public int queueMaxSize() { return queue() == null ? 0 : queue().maxSize(); }

    public int queueSize() { return queue() == null ? 0 : queue().size(); }

    public void writeQueueSize(long v) {
        Virtqueue q = queue();
        if (q == null) return;
        int n = (int) v;
        // a legacy driver may give any size up to the maximum; a modern one a power of two (split rings)
        if (n < 1 || n > q.maxSize() || (!legacy && (n & (n - 1)) != 0)) {
            host.guestLog().guestError("queue-num", "queue size " + n + " is not a power of two up to " + q.maxSize());
            return;
        }
        if (!q.isReady()) q.setSize(n);
    }

    public boolean queueReady() { return queue() != null && queue().isReady(); }

    public void writeQueueReady(long v) {
        Virtqueue q = queue();
        if (q != null) q.setReady((v & 1) != 0);
    }

    /** The three areas of a queue, as the modern interfaces name them. */
    public enum Area { DESCRIPTOR, DRIVER, DEVICE }

    public long queueAddress(Area area) {
        Virtqueue q = queue();
        if (q == null) return 0;
        return switch (area) { case DESCRIPTOR -> q.descriptorArea(); case DRIVER -> q.driverArea(); case DEVICE -> q.deviceArea(); };
    }

    /** Writes one 32-bit half ({@code high}) of an area's address. */
    public void writeQueueAddress(Area area, boolean high, long v) {
        long old = queueAddress(area);
        setQueueAddress(area, high ? (old & 0xffffffffL) | (v << 32) : (old & ~0xffffffffL) | (v & 0xffffffffL));
    }

    public void setQueueAddress(Area area, long address) {
        Virtqueue q = queue();
        if (q == null) return;
        if (q.isReady()) {
            host.guestLog().guestError("queue-addr", "queue address written while the queue is ready");
            return;
        }
        switch (area) {
            case DESCRIPTOR -> q.setDescriptorArea(address);
            case DRIVER -> q.setDriverArea(address);
            default -> q.setDeviceArea(address);
        }
    }

    /** The legacy queue address: page frame {@code pfn} of {@code pageSize} bytes; 0 resets the device. */
    public void writeQueuePfn(long pfn, long pageSize, long align) {
        Virtqueue q = queue();
        if (q == null) return;
        if (pfn == 0) {
            reset();
            return;
        }
        q.setLegacyLayout(pfn * pageSize, align);
        q.setReady(true);
    }

    /** The legacy queue address as a page frame number (0 when the queue is not in use). */
    public long queuePfn(long pageSize) {
        Virtqueue q = queue();
        return q == null || !q.isReady() || pageSize == 0 ? 0 : q.descriptorArea() / pageSize;
    }

    /** A queue notification (only once the driver is ready, as the specification requires). */
    public void notifyQueue(long index) {
        if (device == null || (status & S_DRIVER_OK) == 0) return;
        device.notifyQueue((int) (index & 0xffff));
    }

    // ---- the device configuration space ----

    public int configSize() { return device == null ? 0 : device.configSize(); }

    public long readConfig(int offset, int size) {
        if (device == null || offset < 0 || offset + size > device.configSize()) {
            host.guestLog().guestError("cfg-r" + offset, "config read beyond the device's configuration space at 0x" + Integer.toHexString(offset));
            return 0;
        }
        return device.readConfig(offset, size);
    }

    public void writeConfig(int offset, int size, long value) {
        if (device == null || offset < 0 || offset + size > device.configSize()) {
            host.guestLog().guestError("cfg-w" + offset, "config write beyond the device's configuration space at 0x" + Integer.toHexString(offset));
            return;
        }
        device.writeConfig(offset, size, value);
    }
}
