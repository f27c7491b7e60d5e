package org.orrery.device.virtio.internal;

import org.orrery.device.support.GuestLog;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.virtio.VirtioBus;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.VirtioTransportCore;
import org.orrery.device.virtio.VirtioTransportCore.Area;
import org.orrery.machine.device.DeviceBus;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;

/**
 * The virtio-mmio transport (virtio 1.2, section 4.2), with its device on the bus it offers
 * ({@code virtio-mmio-bus.N}). By default it is the legacy interface, version 1 (QueuePFN, GuestPageSize,
 * QueueAlign, 32 feature bits), as QEMU's {@code force-legacy=on} default presents it; with
 * {@code force-legacy=off} it is version 2 (feature windows, FEATURES_OK, 64-bit queue addresses,
 * QueueReady). Without a device it answers DeviceID 0, which drivers skip.
 */
final class VirtioMmio extends MmioDevice implements VirtioBus.Owner, VirtioTransportCore.Host {
    static final String TYPE = "virtio-mmio";
    static final String BUS_TYPE = "virtio-mmio-bus";
    static final long SIZE = 0x200;
    static final long DT_SIZE = 0x1000;
    static final int MAGIC = 0x74726976; // "virt"
    static final int VENDOR = 0x554d4551; // "QEMU"

    static final Property<Boolean> FORCE_LEGACY = Property.of("force-legacy", PropertyTypes.BOOL).defaultValue(true)
            .description("present the legacy interface (version 1) instead of the modern one (version 2)");
    static final Property<String> DEVICE = Property.of("device", PropertyTypes.STR)
            .description("the virtio device plugged into this transport").computed(VirtioMmio::devicePath);

    private VirtioTransportCore core;
    private AddressSpace dma;
    private long guestPageSize;
    private long queueAlign;

    /** The legacy page size and queue alignment, and the transport's state; the interrupt follows the loaded ISR. */
    static final StateDescription<VirtioMmio> STATE = state(TYPE, VirtioMmio.class, 1)
            .u32("guest-page-size", t -> t.guestPageSize, (t, v) -> t.guestPageSize = v)
            .u32("queue-align", t -> t.queueAlign, (t, v) -> t.queueAlign = v)
            .record("transport", VirtioTransportCore.STATE, t -> t.core)
            .afterLoad(t -> t.interrupt(null))
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    private static String devicePath(VirtioMmio t) { return t.pluggedDevice() == null ? "" : t.pluggedDevice().path(); }

    VirtioDevice pluggedDevice() { return core == null ? null : core.device(); }

    @Override protected RegisterBank realizeRegisters() {
        dma = machine().systemMemory();
        boolean legacy = get(FORCE_LEGACY);
        core = new VirtioTransportCore(this, legacy);
        if (child(busName()) == null) {
            String name = DeviceBus.freeName(tree(), BUS_TYPE);
            tree().createChild(this, name, BUS_TYPE);
        }
        return (legacy ? legacyRegisters() : modernRegisters()).window(0x100, SIZE - 0x100, new MmioHandler() {
            @Override public long read(long offset, int size) { return core.readConfig((int) offset, size); }
            @Override public void write(long offset, int size, long value) { core.writeConfig((int) offset, size, value); }
        });
    }

    /** The name of the bus this transport made (the child that is a bus). */
    private String busName() {
        for (var e : children().entrySet()) if (e.getValue() instanceof VirtioBus) return e.getKey();
        return "";
    }

    /** The registers both versions share, in the order of the layout. */
    private RegisterBank common(int version) {
        return registers(SIZE)
                .reg(0x000, 4, "magic").constant(MAGIC)
                .reg(0x004, 4, "version").constant(version)
                .reg(0x008, 4, "device-id").read(() -> pluggedDevice() == null ? 0 : pluggedDevice().deviceId())
                .reg(0x00c, 4, "vendor-id").constant(VENDOR)
                .reg(0x010, 4, "device-features").read(() -> core.deviceFeaturesWindow())
                .reg(0x014, 4, "device-features-sel").write(core::selectDeviceFeatures)
                .reg(0x020, 4, "driver-features").write(core::writeDriverFeatures)
                .reg(0x024, 4, "driver-features-sel").write(core::selectDriverFeatures)
                .reg(0x030, 4, "queue-sel").write(core::selectQueue)
                .reg(0x034, 4, "queue-num-max").read(() -> core.queueMaxSize())
                .reg(0x038, 4, "queue-num").write(core::writeQueueSize)
                .reg(0x050, 4, "queue-notify").write(core::notifyQueue)
                .reg(0x060, 4, "interrupt-status").read(() -> core.isr())
                .reg(0x064, 4, "interrupt-ack").write(core::acknowledge)
                .reg(0x070, 4, "status").read(() -> core.status()).write(core::writeStatus)
                .done();
    }

    /** Version 1: the page-frame queue interface (virtio 1.2, 4.2.4). */
    private RegisterBank legacyRegisters() {
        return common(1)
                .reg(0x028, 4, "guest-page-size").write(v -> guestPageSize = v)
                .reg(0x03c, 4, "queue-align").write(v -> queueAlign = v)
                .reg(0x040, 4, "queue-pfn").read(() -> core.queuePfn(guestPageSize))
                .write(v -> core.writeQueuePfn(v, guestPageSize == 0 ? 4096 : guestPageSize, queueAlign))
                .done();
    }

    /** Version 2 (virtio 1.2, 4.2.2). */
    private RegisterBank modernRegisters() {
        return common(2)
                .reg(0x044, 4, "queue-ready").read(() -> core.queueReady() ? 1 : 0).write(core::writeQueueReady)
                .reg(0x080, 4, "queue-desc-low").write(v -> core.writeQueueAddress(Area.DESCRIPTOR, false, v))
                .reg(0x084, 4, "queue-desc-high").write(v -> core.writeQueueAddress(Area.DESCRIPTOR, true, v))
                .reg(0x090, 4, "queue-driver-low").write(v -> core.writeQueueAddress(Area.DRIVER, false, v))
                .reg(0x094, 4, "queue-driver-high").write(v -> core.writeQueueAddress(Area.DRIVER, true, v))
                .reg(0x0a0, 4, "queue-device-low").write(v -> core.writeQueueAddress(Area.DEVICE, false, v))
                .reg(0x0a4, 4, "queue-device-high").write(v -> core.writeQueueAddress(Area.DEVICE, true, v))
                .reg(0x0ac, 4, "shm-sel").ignoreWrites()
                .reg(0x0b0, 4, "shm-len-low").constant(0xffffffffL) // no shared memory regions
                .reg(0x0b4, 4, "shm-len-high").constant(0xffffffffL)
                .reg(0x0b8, 4, "shm-base-low").constant(0xffffffffL)
                .reg(0x0bc, 4, "shm-base-high").constant(0xffffffffL)
                .reg(0x0fc, 4, "config-generation").read(() -> core.configGeneration())
                .done();
    }

    @Override protected void disconnect() {
        if (core != null) core.unplug();
    }

    // ---- the bus's owner ----

    @Override public void plug(VirtioDevice d) { core.plug(d); }

    @Override public void unplug(VirtioDevice d) {
        if (core != null && core.device() == d) core.unplug();
    }

    // ---- the core's host ----

    @Override public AddressSpace dma() { return dma; }
    @Override public long baseAddress() { return base(); }
    @Override public GuestLog guestLog() { return log(); }
    @Override public void interrupt(Integer source) { irq().setLevel(core.isr() != 0); }

    @Override public void reset() {
        if (core != null) {
            guestPageSize = queueAlign = 0;
            core.reset();
        }
    }

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        return socNode("virtio_mmio", DT_SIZE, context).string("compatible", "virtio,mmio");
    }
}
