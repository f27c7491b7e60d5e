package org.orrery.machine.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A piece of the physical memory map: RAM or ROM backed by a memory segment, an MMIO window with
 * callbacks, an alias of part of another region, or a container of subregions placed at offsets.
 * Regions form a tree under an {@link AddressSpace}; the address space flattens it for lookup.
 */
public final class MemoryRegion {
    public enum Kind { RAM, ROM, MMIO, ALIAS, CONTAINER }

    private final String name;
    private final Kind kind;
    private final long size;
    private final MemorySegment backing;
    private final MmioHandler mmio;
    private final MemoryRegion aliasTarget;
    private final long aliasOffset;
    private final List<Placement> subregions = new ArrayList<>();
    private MemoryRegion parent;
    private Runnable topologyListener;

    /** A subregion placed in a container; a higher priority wins where placements overlap. */
    public record Placement(long offset, MemoryRegion region, int priority) {}

    private MemoryRegion(String name, Kind kind, long size, MemorySegment backing, MmioHandler mmio,
                         MemoryRegion aliasTarget, long aliasOffset) {
        if (size <= 0) throw new IllegalArgumentException("memory region '" + name + "' must have a positive size, got " + size);
        this.name = Objects.requireNonNull(name);
        this.kind = kind;
        this.size = size;
        this.backing = backing;
        this.mmio = mmio;
        this.aliasTarget = aliasTarget;
        this.aliasOffset = aliasOffset;
    }

    /** RAM backed by the given segment (from a memory backend); its size is the segment's size. */
    public static MemoryRegion ram(String name, MemorySegment backing) {
        return new MemoryRegion(name, Kind.RAM, backing.byteSize(), backing, null, null, 0);
    }

    /** ROM: guest reads see the segment, guest writes are ignored (the loader writes the segment directly). */
    public static MemoryRegion rom(String name, MemorySegment backing) {
        return new MemoryRegion(name, Kind.ROM, backing.byteSize(), backing, null, null, 0);
    }

    public static MemoryRegion mmio(String name, long size, MmioHandler handler) {
        return new MemoryRegion(name, Kind.MMIO, size, null, Objects.requireNonNull(handler), null, 0);
    }

    public static MemoryRegion alias(String name, MemoryRegion target, long offset, long size) {
        if (offset < 0 || offset + size > target.size)
            throw new IllegalArgumentException("alias '" + name + "' reaches outside '" + target.name + "'");
        return new MemoryRegion(name, Kind.ALIAS, size, null, null, target, offset);
    }

    public static MemoryRegion container(String name, long size) {
        return new MemoryRegion(name, Kind.CONTAINER, size, null, null, null, 0);
    }

    public String name() { return name; }
    public Kind kind() { return kind; }
    public long size() { return size; }
    public MemorySegment backing() { return backing; }
    public MmioHandler mmio() { return mmio; }
    public MemoryRegion aliasTarget() { return aliasTarget; }
    public long aliasOffset() { return aliasOffset; }
    public MemoryRegion parent() { return parent; }

    public List<Placement> subregions() { return Collections.unmodifiableList(subregions); }

    /** Places {@code region} at {@code offset} in this container. Overlaps are allowed and resolved by priority. */
    public void addSubregion(long offset, MemoryRegion region, int priority) {
        if (kind != Kind.CONTAINER) throw new IllegalStateException("'" + name + "' is not a container");
        if (region.parent != null) throw new IllegalStateException("region '" + region.name + "' is already mapped in '" + region.parent.name + "'");
        if (offset < 0 || offset + region.size > size || offset + region.size < offset)
            // a user's addr= can ask for this: a precise refusal, not a bug
            throw new org.orrery.qom.QomException(String.format("region '%s' at 0x%x+0x%x does not fit in '%s' (size 0x%x)", region.name, offset, region.size, name, size));
        region.parent = this;
        subregions.add(new Placement(offset, region, priority));
        changed();
    }

    public void addSubregion(long offset, MemoryRegion region) { addSubregion(offset, region, 0); }

    public void removeSubregion(MemoryRegion region) {
        if (subregions.removeIf(p -> p.region() == region)) {
            region.parent = null;
            changed();
        }
    }

    void setTopologyListener(Runnable listener) { this.topologyListener = listener; }

    private void changed() {
        MemoryRegion r = this;
        while (r.parent != null) r = r.parent;
        if (r.topologyListener != null) r.topologyListener.run();
    }

    @Override public String toString() { return kind + " '" + name + "' size 0x" + Long.toHexString(size); }
}
