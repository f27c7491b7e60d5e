package org.orrery.machine.device;

import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.List;

/**
 * A device on the system bus (type "sys-bus-device"): it maps MMIO regions into system memory and
 * drives lines of the platform interrupt controller. Mappings are undone when it unrealizes.
 */
public abstract class SysBusDevice extends Device implements DeviceTreeContributor {
    private final List<MemoryRegion> mapped = new ArrayList<>();

    /** Maps {@code region} at {@code base} in system memory; an overlap with another device is an error. */
    protected final void mapMmio(long base, MemoryRegion region) {
        MemoryRegion root = machine().systemMemory().root();
        for (MemoryRegion.Placement p : root.subregions()) {
            long s = p.offset(), e = s + p.region().size();
            if (base < e && s < base + region.size() && p.priority() >= 0)
                throw new QomException(String.format("%s: region '%s' at 0x%x..0x%x overlaps '%s' at 0x%x..0x%x",
                        describe(), region.name(), base, base + region.size() - 1, p.region().name(), s, e - 1));
        }
        root.addSubregion(base, region, 0);
        mapped.add(region);
    }

    /** Input {@code source} of the platform interrupt controller (PLIC source number on virt). */
    protected final IrqLine platformIrq(int source) { return machine().platformIrq(source); }

    /** Called by subclasses' onUnrealize through super, or automatically: removes every mapping. */
    protected final void unmapAll() {
        MemoryRegion root = machine().systemMemory().root();
        for (MemoryRegion r : mapped) root.removeSubregion(r);
        mapped.clear();
    }

    @Override protected void onUnrealize() { unmapAll(); }

    @Override public void contributeDeviceTree(DeviceTreeContext context) { }
}
