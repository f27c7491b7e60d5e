package org.orrery.device.pci;

import org.orrery.machine.memory.MemoryRegion;

/**
 * A base address register's window: what kind of PCI space it decodes, and the region that answers there.
 * Its size is the region's (a power of two, at least 16 bytes for memory and 4 for I/O).
 */
public record PciBar(Kind kind, boolean prefetchable, MemoryRegion region) {
    /** The space a BAR decodes: I/O, 32-bit memory, or 64-bit memory (which takes two BAR registers). */
    public enum Kind { IO, MEMORY32, MEMORY64 }

    public PciBar {
        long size = region.size();
        if (Long.bitCount(size) != 1 || size < (kind == Kind.IO ? 4 : 16))
            throw new IllegalArgumentException("BAR size 0x" + Long.toHexString(size) + " of '" + region.name() + "' is not a power of two");
        if (kind == Kind.IO && prefetchable) throw new IllegalArgumentException("an I/O BAR cannot be prefetchable");
    }

    public long size() { return region.size(); }

    public boolean isIo() { return kind == Kind.IO; }

    /** The type bits of the BAR register's low dword. */
    int flags() {
        return switch (kind) {
            case IO -> 1;
            case MEMORY32 -> prefetchable ? 8 : 0;
            case MEMORY64 -> 4 | (prefetchable ? 8 : 0);
        };
    }
}
