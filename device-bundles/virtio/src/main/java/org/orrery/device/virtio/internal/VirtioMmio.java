package org.orrery.device.virtio.internal;

import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2): the register layout below, feature
 * negotiation in 32-bit windows, per-queue setup through QueueSel, status with reset on 0, the interrupt
 * status/acknowledge pair and the device configuration space from 0x100. Without a device plugged in it
 * answers DeviceID 0, which drivers skip.
 */
final class VirtioMmio extends MmioDevice implements VirtioDevice.VirtioPlug {
    static final String TYPE = "virtio-mmio";
    static final long SIZE = 0x200;
    static final long DT_SIZE = 0x1000;
    static final int MAGIC = 0x74726976; // "virt"
    static final int VENDOR = 0x554d4551; // "QEMU"

    static final int S_ACKNOWLEDGE = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_NEEDS_RESET = 64, S_FAILED = 128;
    static final int INT_USED = 1, INT_CONFIG = 2;

    static final Property<String> DEVICE = Property.of("device", PropertyTypes.STR)
            .description("the virtio device plugged into this transport").computed(VirtioMmio::devicePath);

    private VirtioDevice device;
    private IrqLine irq = IrqLine.UNCONNECTED;
    private int deviceFeaturesSel, driverFeaturesSel, queueSel;
    private long driverFeatures;
    private int status, interruptStatus, configGeneration;
    private AddressSpace dma;

    private static String devicePath(VirtioMmio t) { return t.device == null ? "" : t.device.path(); }

    @Override protected void onRealize() {
        dma = machine().systemMemory();
        if (isSet(IRQ)) irq = platformIrq((int) (long) get(IRQ));
        RegisterBank regs = new RegisterBank(TYPE, log())
                .reg(0x000, 4, "magic").constant(MAGIC)
                .reg(0x004, 4, "version").constant(2)
                .reg(0x008, 4, "device-id").read(() -> device == null ? 0 : device.deviceId())
                .reg(0x00c, 4, "vendor-id").constant(VENDOR)
                .reg(0x010, 4, "device-features").read(this::deviceFeaturesWindow)
                .reg(0x014, 4, "device-features-sel").write(v -> deviceFeaturesSel = (int) v)
                .reg(0x020, 4, "driver-features").write(this::writeDriverFeatures)
                .reg(0x024, 4, "driver-features-sel").write(v -> driverFeaturesSel = (int) v)
                .reg(0x030, 4, "queue-sel").write(v -> queueSel = (int) v)
                .reg(0x034, 4, "queue-num-max").read(() -> queue() == null ? 0 : queue().maxSize())
                .reg(0x038, 4, "queue-num").write(this::writeQueueNum)
                .reg(0x044, 4, "queue-ready").read(() -> queue() != null && queue().isReady() ? 1 : 0).write(this::writeQueueReady)
                .reg(0x050, 4, "queue-notify").write(this::queueNotify)
                .reg(0x060, 4, "interrupt-status").read(() -> interruptStatus)
                .reg(0x064, 4, "interrupt-ack").write(v -> { interruptStatus &= ~(int) v; updateIrq(); })
                .reg(0x070, 4, "status").read(() -> status).write(this::writeStatus)
                .reg(0x080, 4, "queue-desc-low").write(v -> setAddr(0, false, v))
                .reg(0x084, 4, "queue-desc-high").write(v -> setAddr(0, true, v))
                .reg(0x090, 4, "queue-driver-low").write(v -> setAddr(1, false, v))
                .reg(0x094, 4, "queue-driver-high").write(v -> setAddr(1, true, v))
                .reg(0x0a0, 4, "queue-device-low").write(v -> setAddr(2, false, v))
                .reg(0x0a4, 4, "queue-device-high").write(v -> setAddr(2, true, v))
                .reg(0x0ac, 4, "shm-sel").ignoreWrites()
                .reg(0x0b0, 4, "shm-len-low").constant(0xffffffffL) // no shared memory regions
                .reg(0x0b4, 4, "shm-len-high").constant(0xffffffffL)
                .reg(0x0b8, 4, "shm-base-low").constant(0xffffffffL)
                .reg(0x0bc, 4, "shm-base-high").constant(0xffffffffL)
                .reg(0x0fc, 4, "config-generation").read(() -> configGeneration)
                .done();
        MmioHandler handler = new MmioHandler() {
            @Override public long read(long offset, int size) {
                return offset >= 0x100 ? readConfig((int) (offset - 0x100), size) : regs.read(offset, size);
            }

            @Override public void write(long offset, int size, long value) {
                if (offset >= 0x100) writeConfig((int) (offset - 0x100), size, value); else regs.write(offset, size, value);
            }
        };
        mapMmio(base(), MemoryRegion.mmio(TYPE + "@" + Long.toHexString(base()), SIZE, handler));
    }

    @Override protected void onUnrealize() {
        if (device != null && device.isRealized()) {
            // the device goes with its transport
            device.unplugged();
        }
        device = null;
        irq.lower();
        irq = IrqLine.UNCONNECTED;
        super.onUnrealize();
    }

    // ---- plugging ----

    @Override public VirtioDevice pluggedDevice() { return device; }

    @Override public void plug(VirtioDevice d) {
        device = d;
        d.plugged(this);
        resetTransport();
    }

    @Override public void unplug(VirtioDevice d) {
        if (device != d) return;
        resetTransport();
        d.unplugged();
        device = null;
        status = 0;
        interruptStatus = 0;
        updateIrq();
    }

    // ---- VirtioTransport ----

    @Override public AddressSpace dma() { return dma; }
    @Override public long negotiatedFeatures() { return driverFeatures; }
    @Override public long baseAddress() { return base(); }

    @Override public void notifyUsed(Virtqueue q) {
        if (q.needsNotification()) {
            interruptStatus |= INT_USED;
            updateIrq();
        }
    }

    @Override public void configChanged() {
        configGeneration++;
        interruptStatus |= INT_CONFIG;
        updateIrq();
    }

    @Override public void needsReset(String why) {
        log().guestError("needs-reset", (device == null ? "" : device.type().name() + ": ") + why + "; device needs reset");
        status |= S_NEEDS_RESET;
        if ((status & S_DRIVER_OK) != 0) configChanged();
    }

    // ---- registers ----

    private Virtqueue queue() {
        if (device == null || queueSel < 0 || queueSel >= device.queueCount()) return null;
        return device.queue(queueSel);
    }

    private long offeredFeatures() {
        return device == null ? 0 : device.deviceFeatures() | VirtioDevice.F_VERSION_1 | VirtioDevice.F_INDIRECT_DESC;
    }

    private long deviceFeaturesWindow() {
        if (deviceFeaturesSel < 0 || deviceFeaturesSel > 1) return 0;
        return (offeredFeatures() >>> (32 * deviceFeaturesSel)) & 0xffffffffL;
    }

    private void writeDriverFeatures(long v) {
        if ((status & S_FEATURES_OK) != 0) {
            log().guestError("features-late", "driver features written after FEATURES_OK");
            return;
        }
        if (driverFeaturesSel < 0 || driverFeaturesSel > 1) return;
        int shift = 32 * driverFeaturesSel;
        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((v & 0xffffffffL) << shift);
    }

    private void writeQueueNum(long v) {
        Virtqueue q = queue();
        if (q == null) return;
        int n = (int) v;
        if (n < 1 || n > q.maxSize() || (n & (n - 1)) != 0) {
            log().guestError("queue-num", "queue size " + n + " is not a power of two up to " + q.maxSize());
            return;
        }
        if (!q.isReady()) q.setSize(n);
    }

    private void writeQueueReady(long v) {
        Virtqueue q = queue();
        if (q == null) return;
        q.setReady((v & 1) != 0);
    }

    private void setAddr(int which, boolean high, long v) {
        Virtqueue q = queue();
        if (q == null) return;
        if (q.isReady()) {
            log().guestError("queue-addr", "queue address written while the queue is ready");
            return;
        }
        long old = switch (which) { case 0 -> q.descriptorArea(); case 1 -> q.driverArea(); default -> q.deviceArea(); };
        long nv = high ? (old & 0xffffffffL) | (v << 32) : (old & ~0xffffffffL) | (v & 0xffffffffL);
        switch (which) {
            case 0 -> q.setDescriptorArea(nv);
            case 1 -> q.setDriverArea(nv);
            default -> q.setDeviceArea(nv);
        }
    }

    private void queueNotify(long v) {
        if (device == null || (status & S_DRIVER_OK) == 0) return;
        device.notifyQueue((int) (v & 0xffff));
    }

    private void writeStatus(long v) {
        int s = (int) v & 0xff;
        if (s == 0) {
            resetTransport();
            return;
        }
        if ((s & S_FEATURES_OK) != 0 && (status & S_FEATURES_OK) == 0) {
            long offered = offeredFeatures();
            if ((driverFeatures & ~offered) != 0 || (driverFeatures & VirtioDevice.F_VERSION_1) == 0) {
                log().guestError("features", String.format("driver features 0x%x not acceptable (offered 0x%x, VERSION_1 required)", driverFeatures, offered));
                s &= ~S_FEATURES_OK; // the driver reads status back and sees the refusal
            }
        }
        int rising = s & ~status;
        status = s | (status & S_NEEDS_RESET);
        if ((rising & S_DRIVER_OK) != 0 && device != null) device.driverOk();
    }

    private void resetTransport() {
        status = 0;
        interruptStatus = 0;
        driverFeatures = 0;
        deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
        if (device != null) device.transportReset();
        updateIrq();
    }

    private long readConfig(int offset, int size) {
        if (device == null || offset + size > device.configSize()) {
            log().guestError("cfg-r" + offset, "config read beyond the device's configuration space at 0x" + Integer.toHexString(offset));
            return 0;
        }
        return device.readConfig(offset, size);
    }

    private void writeConfig(int offset, int size, long value) {
        if (device == null || offset + size > device.configSize()) {
            log().guestError("cfg-w" + offset, "config write beyond the device's configuration space at 0x" + Integer.toHexString(offset));
            return;
        }
        device.writeConfig(offset, size, value);
    }

    private void updateIrq() { irq.setLevel(interruptStatus != 0); }

    @Override public void reset() {
        if (dma != null) resetTransport();
    }

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        FdtNode n = FdtNode.at("virtio_mmio", base());
        if (isSet(IRQ)) {
            n.u32("interrupts", get(IRQ));
            n.u32("interrupt-parent", context.interruptParent());
        }
        n.reg(base(), DT_SIZE);
        n.string("compatible", "virtio,mmio");
        context.soc().add(n);
    }
}
