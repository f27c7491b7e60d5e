package org.orrery.machine.memory;

import java.lang.foreign.MemorySegment;

/**
 * One contiguous piece of a flattened address space that maps to a single leaf region.
 * For RAM and ROM, guest address {@code a} is byte {@code segmentOffset + (a - start)} of {@link #segment()}.
 * For MMIO, the handler receives offset {@code regionOffset + (a - start)}.
 */
public record Section(long start, long size, MemoryRegion region, long regionOffset) {
    public long end() { return start + size; }                // exclusive
    public boolean contains(long address) { return Long.compareUnsigned(address - start, size) < 0; }
    public boolean isRam() { return region.kind() == MemoryRegion.Kind.RAM; }
    public boolean isRom() { return region.kind() == MemoryRegion.Kind.ROM; }
    public boolean isMmio() { return region.kind() == MemoryRegion.Kind.MMIO; }
    /** The backing segment of a RAM or ROM section (whole region; index it with {@link #regionOffset()}). */
    public MemorySegment segment() { return region.backing(); }
    public MmioHandler mmio() { return region.mmio(); }
}
