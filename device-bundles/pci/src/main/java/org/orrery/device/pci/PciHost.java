package org.orrery.device.pci;

import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;

/** What the host bridge that owns a PCI bus provides to it: the windows BARs map into, interrupts, DMA. */
public interface PciHost {
    /**
     * Maps {@code region} at PCI bus address {@code busAddress} of the I/O or memory space. Returns false
     * when no window of the host reaches that address (the BAR is then programmed but unreachable).
     */
    boolean map(PciBar.Kind space, long busAddress, MemoryRegion region);

    /** Undoes {@link #map}. */
    void unmap(MemoryRegion region);

    /** The host interrupt line (0-based) that INTx {@code pin} (1 = INTA .. 4 = INTD) of {@code devfn} is wired to. */
    int intxLine(int devfn, int pin);

    /** Drives host interrupt line {@code line}. */
    void setIntxLine(int line, boolean level);

    /** How many interrupt lines the host has. */
    int intxLines();

    /** Where bus-master DMA and MSI writes go. */
    AddressSpace dma();
}
