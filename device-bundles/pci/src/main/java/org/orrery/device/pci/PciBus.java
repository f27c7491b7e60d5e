package org.orrery.device.pci;

import org.orrery.machine.device.Device;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.QomException;

/**
 * A PCI bus (types {@value #TYPE} and {@value #EXPRESS_TYPE}, QEMU's "PCI" and "PCIE"): 32 slots of 8
 * functions, addressed by devfn (slot &lt;&lt; 3 | function). A device goes where its {@code addr} says or in
 * the first free slot; configuration accesses reach the function at a devfn (all ones where there is none);
 * INTx lines are wired through the host's swizzle and are high while any function on them asserts. The
 * owner, a host bridge, implements {@link PciHost}.
 */
public final class PciBus extends DeviceBus {
    public static final String TYPE = "PCI";
    public static final String EXPRESS_TYPE = "PCIE";
    static final int DEVFNS = 256;

    private final PciDevice[] functions = new PciDevice[DEVFNS];
    private boolean hotpluggable;
    private boolean[] lineLevels = new boolean[0];

    public PciHost host() {
        if (owner() instanceof PciHost h) return h;
        throw new QomException("'" + path() + "' belongs to no PCI host bridge");
    }

    /** The root bus of virt's host bridge takes no devices once the machine is built, as QEMU's pcie.0. */
    @Override public boolean isHotpluggable() { return hotpluggable; }

    public void setHotpluggable(boolean v) { hotpluggable = v; }

    /** The function at {@code devfn}, or null. */
    public PciDevice function(int devfn) { return devfn >= 0 && devfn < DEVFNS ? functions[devfn] : null; }

    @Override protected void plugged(Device device) {
        if (!(device instanceof PciDevice d)) throw new QomException("Device '" + device.type().name() + "' can't go on " + type().name() + " bus");
        int devfn = d.requestedDevfn();
        if (devfn >= 0) {
            PciDevice there = functions[devfn];
            if (there != null)
                throw new QomException(String.format("PCI: slot %d function %d not available for %s, in use by %s,id=%s",
                        devfn >> 3, devfn & 7, d.type().name(), there.type().name(), there.qemuId()));
        } else {
            devfn = firstFreeSlot();
            if (devfn < 0) throw new QomException("PCI: no slot/function available for " + d.type().name() + ", all in use or reserved");
        }
        functions[devfn] = d;
        d.attached(this, devfn);
    }

    private int firstFreeSlot() {
        for (int devfn = 0; devfn < DEVFNS; devfn += 8) if (functions[devfn] == null) return devfn;
        return -1;
    }

    @Override protected void unplugged(Device device) {
        if (!(device instanceof PciDevice d)) return;
        int devfn = d.devfn();
        d.detached();
        if (devfn >= 0 && functions[devfn] == d) functions[devfn] = null;
        updateIntx();
    }

    // ---- configuration space ----

    /** A configuration read of {@code size} bytes: all ones when no function is at {@code devfn}. */
    public long readConfig(int devfn, int offset, int size) {
        PciDevice d = function(devfn);
        if (d == null) return size >= 8 ? -1L : (1L << (8 * size)) - 1;
        return d.readConfig(offset, size);
    }

    /** A configuration write; ignored where there is no function. */
    public void writeConfig(int devfn, int offset, int size, long value) {
        PciDevice d = function(devfn);
        if (d != null) d.writeConfig(offset, size, value);
    }

    // ---- legacy interrupts ----

    /** A function's INTx level changed: drives every host line from the functions wired to it. */
    void updateIntx() {
        PciHost h = host();
        boolean[] levels = new boolean[h.intxLines()];
        for (int devfn = 0; devfn < DEVFNS; devfn++) {
            PciDevice d = functions[devfn];
            if (d == null || !d.intxAsserted()) continue;
            int line = h.intxLine(devfn, d.interruptPin());
            if (line >= 0 && line < levels.length) levels[line] = true;
        }
        for (int i = 0; i < levels.length; i++)
            if (i >= lineLevels.length || lineLevels[i] != levels[i]) h.setIntxLine(i, levels[i]);
        lineLevels = levels;
    }
}
