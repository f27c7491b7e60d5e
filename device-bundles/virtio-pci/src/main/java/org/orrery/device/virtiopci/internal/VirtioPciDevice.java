package org.orrery.device.virtiopci.internal;

import org.orrery.device.pci.MsiX;
import org.orrery.device.pci.PciBar;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.virtio.VirtioBus;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.VirtioTransportCore;
import org.orrery.device.virtio.VirtioTransportCore.Area;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.Arrays;
import java.util.List;

import static org.orrery.device.support.DeviceProperties.uint32;

/**
 * A virtio device on PCI (virtio 1.2, section 4.1), as QEMU's virtio-pci lays it out: the virtio device
 * itself is the child {@code virtio-backend}, on this function's own bus {@code virtio-bus}. A transitional
 * function (QEMU's default on a root bus, for devices that have a legacy id) offers both interfaces: the
 * legacy registers in I/O BAR 0 and the modern ones through vendor capabilities into the 16 KiB 64-bit
 * memory BAR 4 (common configuration at 0, ISR at 0x1000, device configuration at 0x2000, notifications at
 * 0x3000 with a multiplier of 4). MSI-X ({@code vectors}, BAR 1) is used once the guest enables it; until
 * then the function raises INTA while its ISR is set.
 *
 * <p>The properties of the device type are this type's too ({@code drive=}, {@code rng=} ...): they are
 * handed to the backend when it is made.
 */
final class VirtioPciDevice extends PciDevice implements VirtioBus.Owner, VirtioTransportCore.Host {
    static final String TYPE = "virtio-pci";
    static final String BUS_TYPE = "virtio-pci-bus";
    static final String BACKEND = "virtio-backend";
    static final String BUS = "virtio-bus";
    static final int NO_VECTOR = 0xffff;
    static final long VECTORS_UNSPECIFIED = 0xffffffffL;
    static final int MODERN_BAR = 4, MSIX_BAR = 1, LEGACY_BAR = 0;
    static final int COMMON = 0x0000, ISR = 0x1000, DEVICE = 0x2000, NOTIFY = 0x3000, REGION = 0x1000;
    static final int NOTIFY_MULTIPLIER = 4;
    static final int CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5;

    static final Property<String> DISABLE_LEGACY = Property.of("disable-legacy", PropertyTypes.enumOf("OnOffAuto", "on", "off", "auto"))
            .defaultValue("auto").description("on/off/auto: without the legacy interface (auto: keep it on a root bus when the device has a legacy id)");
    static final Property<Boolean> DISABLE_MODERN = Property.of("disable-modern", PropertyTypes.BOOL).defaultValue(false)
            .description("without the modern interface");
    static final Property<Long> VECTORS = uint32("vectors", VECTORS_UNSPECIFIED,
            "MSI-X vectors (0: no MSI-X; default: one per queue and one for configuration changes)");

    private final String backendType;
    private final List<Property<?>> forwarded;
    private VirtioTransportCore core;
    private VirtioDevice backend;
    private MsiX msix;
    private int configVector = NO_VECTOR;
    private long[] queueVectors = new long[0];
    private int pciCfgCap = -1;

    /**
     * The PCI function, the transport's state and the MSI-X vectors the driver chose. The backend (the virtio
     * device with its queues) is a device of its own. INTx comes back with the PCI state.
     */
    static final StateDescription<VirtioPciDevice> STATE = state(TYPE, VirtioPciDevice.class, 1)
            .record("transport", VirtioTransportCore.STATE, d -> d.core)
            .u16("config-vector", d -> d.configVector, (d, v) -> d.configVector = (int) v)
            .longs("queue-vectors", d -> d.queueVectors)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    VirtioPciDevice(String backendType, List<Property<?>> forwarded) {
        this.backendType = backendType;
        this.forwarded = List.copyOf(forwarded);
    }

    /** The virtio device this function carries (once realized). */
    VirtioDevice backend() { return backend; }

    VirtioTransportCore core() { return core; }

    // ---- realize ----

    @Override protected void realizeFunction() {
        core = new VirtioTransportCore(this, false);
        backend = makeBackend();
        int id = backend.deviceId();
        VirtioPciIds.Ids ids = VirtioPciIds.of(id);
        String legacySetting = get(DISABLE_LEGACY);
        boolean legacy = ids.transitionalDevice() != 0 && !legacySetting.equals("on");
        if (legacySetting.equals("off") && ids.transitionalDevice() == 0)
            throw new QomException(describe() + ": device is modern-only, use disable-legacy=on");
        boolean modern = !get(DISABLE_MODERN);
        if (!legacy && !modern) throw new QomException(describe() + ": device cannot work as neither modern nor legacy mode is enabled");
        if (legacy) setIds(0x1af4, ids.transitionalDevice(), ids.classCode(), 0, 0x1af4, id);
        else setIds(0x1af4, 0x1040 + id, ids.classCode(), 1, 0x1af4, 0x1100);
        setInterruptPin(1);
        long vectors = get(VECTORS) == VECTORS_UNSPECIFIED ? ids.defaultVectors(backend.queueCount()) : get(VECTORS);
        if (vectors > 128) throw new QomException(describe() + ": vectors must be at most 128");
        if (modern) modernInterface();
        if (vectors > 0) {
            msix = new MsiX(this, (int) vectors, MSIX_BAR);
            setBar(MSIX_BAR, msix.bar());
        }
        if (legacy) legacyInterface(vectors > 0);
        queueVectors = new long[backend.queueCount()];
        resetVectors();
    }

    /** Makes (or finds again) the backend, gives it this device's copies of its properties, and plugs it in here. */
    private VirtioDevice makeBackend() {
        QObject bus = child(BUS);
        if (bus == null) bus = tree().createChild(this, BUS, BUS_TYPE);
        QObject b = child(BACKEND);
        if (b == null) {
            b = tree().createChild(this, BACKEND, backendType);
            for (Property<?> p : forwarded) forward(p, b);
        }
        if (!(b instanceof VirtioDevice v)) throw new QomException("'" + backendType + "' is not a virtio device");
        if (!v.isRealized()) {
            try {
                v.setParentBus((VirtioBus) bus);
                v.realize();
            } catch (QomException e) {
                // said of this device, which the user made, not of its part
                throw new QomException(e.getMessage().replace(v.describe(), describe()));
            }
        }
        return v;
    }

    private <T> void forward(Property<T> p, QObject target) {
        if (isSet(p)) target.set(p, get(p));
    }

    @Override protected void unrealizeFunction() {
        if (backend != null && backend.isRealized()) backend.unrealize();
        backend = null;
        msix = null;
        core = null;
    }

    // ---- the modern interface ----

    private void modernInterface() {
        RegisterBank common = commonConfig();
        MmioHandler handler = new MmioHandler() {
            @Override public long read(long offset, int size) {
                if (offset < ISR) return common.read(offset, size);
                if (offset < DEVICE) return offset == ISR ? core.takeIsr() : 0;
                if (offset < NOTIFY) return core.readConfig((int) (offset - DEVICE), size);
                return 0;
            }

            @Override public void write(long offset, int size, long value) {
                if (offset < ISR) common.write(offset, size, value);
                else if (offset >= DEVICE && offset < NOTIFY) core.writeConfig((int) (offset - DEVICE), size, value);
                else if (offset >= NOTIFY) core.notifyQueue((offset - NOTIFY) / NOTIFY_MULTIPLIER);
            }
        };
        setBar(MODERN_BAR, new PciBar(PciBar.Kind.MEMORY64, true, MemoryRegion.mmio(type().name() + "-modern", 4 * REGION, handler)));
        virtioCap(CAP_COMMON, COMMON, 16);
        virtioCap(CAP_ISR, ISR, 16);
        virtioCap(CAP_DEVICE, DEVICE, 16);
        int notify = virtioCap(CAP_NOTIFY, NOTIFY, 20);
        setConfig(notify + 16, 4, NOTIFY_MULTIPLIER);
        // the window into the BARs through configuration space: the guest chooses bar, offset and length
        pciCfgCap = addCapability(0x09, 20);
        setConfig(pciCfgCap + 2, 2, 20 | CAP_PCI_CFG << 8);
        setWritable(pciCfgCap + 4, 1, 0xff);
        setWritable(pciCfgCap + 8, 8, -1L);
        setWritable(pciCfgCap + 16, 4, 0xffffffffL);
    }

    /** A virtio vendor capability pointing at {@code length} bytes... of the modern BAR. */
    private int virtioCap(int cfgType, int offset, int capLength) {
        int at = addCapability(0x09, capLength);
        setConfig(at + 2, 2, capLength | cfgType << 8);
        setConfig(at + 4, 1, MODERN_BAR);
        setConfig(at + 8, 4, offset);
        setConfig(at + 12, 4, REGION);
        return at;
    }

    /** The common configuration structure (virtio 1.2, 4.1.4.3). */
    private RegisterBank commonConfig() {
        return new RegisterBank(type().name() + " common", guestLog())
                .reg(0x00, 4, "device-feature-select").read(() -> core.deviceFeaturesSelect()).write(core::selectDeviceFeatures)
                .reg(0x04, 4, "device-feature").read(() -> core.deviceFeaturesWindow())
                .reg(0x08, 4, "driver-feature-select").read(() -> core.driverFeaturesSelect()).write(core::selectDriverFeatures)
                .reg(0x0c, 4, "driver-feature").read(() -> core.driverFeaturesWindow()).write(core::writeDriverFeatures)
                .reg(0x10, 2, "config-msix-vector").read(() -> configVector).write(v -> configVector = vector(v))
                .reg(0x12, 2, "num-queues").read(() -> core.queueCount())
                .reg(0x14, 1, "device-status").read(() -> core.status()).write(this::writeStatus)
                .reg(0x15, 1, "config-generation").read(() -> core.configGeneration())
                .reg(0x16, 2, "queue-select").read(() -> core.queueSelect()).write(core::selectQueue)
                .reg(0x18, 2, "queue-size").read(() -> core.queueSize()).write(core::writeQueueSize)
                .reg(0x1a, 2, "queue-msix-vector").read(this::queueVector).write(this::writeQueueVector)
                .reg(0x1c, 2, "queue-enable").read(() -> core.queueReady() ? 1 : 0).write(core::writeQueueReady)
                .reg(0x1e, 2, "queue-notify-off").read(() -> core.queue() == null ? 0 : core.queueSelect())
                .reg(0x20, 4, "queue-desc-low").read(() -> core.queueAddress(Area.DESCRIPTOR) & 0xffffffffL)
                .write(v -> core.writeQueueAddress(Area.DESCRIPTOR, false, v))
                .reg(0x24, 4, "queue-desc-high").read(() -> core.queueAddress(Area.DESCRIPTOR) >>> 32)
                .write(v -> core.writeQueueAddress(Area.DESCRIPTOR, true, v))
                .reg(0x28, 4, "queue-driver-low").read(() -> core.queueAddress(Area.DRIVER) & 0xffffffffL)
                .write(v -> core.writeQueueAddress(Area.DRIVER, false, v))
                .reg(0x2c, 4, "queue-driver-high").read(() -> core.queueAddress(Area.DRIVER) >>> 32)
                .write(v -> core.writeQueueAddress(Area.DRIVER, true, v))
                .reg(0x30, 4, "queue-device-low").read(() -> core.queueAddress(Area.DEVICE) & 0xffffffffL)
                .write(v -> core.writeQueueAddress(Area.DEVICE, false, v))
                .reg(0x34, 4, "queue-device-high").read(() -> core.queueAddress(Area.DEVICE) >>> 32)
                .write(v -> core.writeQueueAddress(Area.DEVICE, true, v))
                .done();
    }

    // ---- the legacy interface ----

    private void legacyInterface(boolean withMsix) {
        RegisterBank regs = new RegisterBank(type().name() + " legacy", guestLog())
                .reg(0x00, 4, "host-features").read(() -> core.offeredFeatures() & 0xffffffffL)
                .reg(0x04, 4, "guest-features").read(() -> core.negotiatedFeatures() & 0xffffffffL).write(v -> {
                    core.selectDriverFeatures(0);
                    core.writeDriverFeatures(v);
                })
                .reg(0x08, 4, "queue-pfn").read(() -> core.queuePfn(4096)).write(v -> core.writeQueuePfn(v, 4096, 4096))
                .reg(0x0c, 2, "queue-size").read(() -> core.queueSize())
                .reg(0x0e, 2, "queue-select").read(() -> core.queueSelect()).write(core::selectQueue)
                .reg(0x10, 2, "queue-notify").read(() -> 0).write(core::notifyQueue)
                .reg(0x12, 1, "status").read(() -> core.status()).write(this::writeStatus)
                .reg(0x13, 1, "isr").read(() -> core.takeIsr()).peek(() -> core.isr())
                .reg(0x14, 2, "config-vector").read(() -> configVector).write(v -> configVector = vector(v))
                .reg(0x16, 2, "queue-vector").read(this::queueVector).write(this::writeQueueVector)
                .done();
        long size = Long.highestOneBit((withMsix ? 24 : 20) + backend.configSize() - 1L) << 1;
        MmioHandler handler = new MmioHandler() {
            @Override public long read(long offset, int width) {
                int cfg = configOffset();
                return offset >= cfg ? core.readConfig((int) (offset - cfg), width) : regs.read(offset, width);
            }

            @Override public void write(long offset, int width, long value) {
                int cfg = configOffset();
                if (offset >= cfg) core.writeConfig((int) (offset - cfg), width, value); else regs.write(offset, width, value);
            }
        };
        setBar(LEGACY_BAR, new PciBar(PciBar.Kind.IO, false, MemoryRegion.mmio(type().name() + "-legacy", Math.max(size, 32), handler)));
    }

    /** The legacy device configuration follows the MSI-X vector registers while MSI-X is on. */
    private int configOffset() { return msix != null && msix.isEnabled() ? 0x18 : 0x14; }

    // ---- status and vectors ----

    private void writeStatus(long v) {
        core.writeStatus(v);
        if ((v & 0xff) == 0) resetVectors();
    }

    private int vector(long v) {
        int n = (int) (v & 0xffff);
        return msix != null && n < msix.vectors() ? n : NO_VECTOR;
    }

    private long queueVector() {
        int q = core.queueSelect();
        return q >= 0 && q < queueVectors.length ? queueVectors[q] : NO_VECTOR;
    }

    private void writeQueueVector(long v) {
        int q = core.queueSelect();
        if (q >= 0 && q < queueVectors.length) queueVectors[q] = vector(v);
    }

    private void resetVectors() {
        configVector = NO_VECTOR;
        Arrays.fill(queueVectors, NO_VECTOR);
    }

    // ---- the bus's owner, the core's host ----

    @Override public void plug(VirtioDevice d) { core.plug(d); }

    @Override public void unplug(VirtioDevice d) {
        if (core != null && core.device() == d) core.unplug();
    }

    @Override public long baseAddress() { return devfn(); }

    @Override public void interrupt(Integer source) {
        if (msix != null && msix.isEnabled()) {
            setIntx(false);
            if (source == null) return;
            int vector = source == VirtioTransportCore.CONFIG ? configVector
                    : source >= 0 && source < queueVectors.length ? (int) queueVectors[source] : NO_VECTOR;
            if (vector != NO_VECTOR) msix.notify(vector);
            return;
        }
        setIntx(core != null && core.isr() != 0);
    }

    @Override protected void configWritten(int offset, int size, long value) {
        // MSI-X switched on or off: INTx follows the ISR only while it is off
        if (msix != null && core != null) setIntx(!msix.isEnabled() && core.isr() != 0);
        if (pciCfgCap >= 0 && offset < pciCfgCap + 20 && offset + size > pciCfgCap + 16) pciCfgAccess(true, value);
    }

    @Override protected long configRead(int offset, int size, long stored) {
        if (pciCfgCap >= 0 && offset >= pciCfgCap + 16 && offset + size <= pciCfgCap + 20) return pciCfgAccess(false, 0);
        return stored;
    }

    /** VIRTIO_PCI_CAP_PCI_CFG: an access of 1, 2 or 4 bytes to a BAR at the offset the guest wrote into the capability. */
    private long pciCfgAccess(boolean write, long value) {
        int bar = (int) config(pciCfgCap + 4, 1);
        long offset = config(pciCfgCap + 8, 4);
        int length = (int) config(pciCfgCap + 12, 4);
        PciBar b = bar(bar);
        if (b == null || (length != 1 && length != 2 && length != 4) || offset + length > b.size()) return 0;
        if (write) {
            b.region().mmio().write(offset, length, config(pciCfgCap + 16, 4));
            return 0;
        }
        return b.region().mmio().read(offset, length);
    }

    @Override protected void resetFunction() {
        if (core != null) core.reset();
        resetVectors();
    }
}
