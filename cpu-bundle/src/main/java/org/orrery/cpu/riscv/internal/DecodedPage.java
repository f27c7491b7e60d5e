package org.orrery.cpu.riscv.internal;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The code of one 4 KiB physical page: decoded instructions (one slot per halfword, decoded lazily) for the
 * interpreter, and the regions the translator compiled from it, by entry slot. Every store that lands in
 * the page clears exactly the slots and regions it overwrites.
 */
final class DecodedPage {
    static final int SLOTS = 2048;

    final long paPage;
    final MemorySegment segment;
    final long segmentOffset;   // offset of the page's first byte in the segment
    final int validBytes;       // bytes of the page backed by the segment (4096 unless a region ends inside)
    /** Per halfword slot: packed instruction word (low 32 bits) and immediate (high 32 bits); 0 = not decoded. */
    final long[] ops = new long[SLOTS];

    /** Compiled regions by entry slot; null until the first one is installed. */
    CompiledRegion[] entries;
    /** Times the interpreter entered a block at each slot; {@link #NEVER} marks slots no region can start at. */
    short[] heat;
    static final short NEVER = -1;
    /** Marks a block start inside a loop of an installed region: the interpreter runs on to the loop's header. */
    static final short COVERED = -2;
    /** Regions compiled from this page (for invalidation). */
    private final List<CompiledRegion> regions = new ArrayList<>(2);
    /** Counts stores into this page's code: a translation made from an older snapshot is thrown away. */
    int generation;
    /** Regions of this page that stores overwrote; a page that keeps rewriting its code is left to the interpreter. */
    int regionsOverwritten;

    DecodedPage(long paPage, MemorySegment segment, long segmentOffset, int validBytes) {
        this.paPage = paPage;
        this.segment = segment;
        this.segmentOffset = segmentOffset;
        this.validBytes = validBytes;
    }

    CompiledRegion region(int slot) {
        CompiledRegion[] e = entries;
        return e == null ? null : e[slot];
    }

    /**
     * Installs a region at its entry (replacing a region translated from the same entry) and at each of its
     * other block starts that no region holds yet.
     */
    void install(CompiledRegion r) {
        if (entries == null) entries = new CompiledRegion[SLOTS];
        CompiledRegion old = entries[r.entrySlot];
        if (old != null && old.entrySlot == r.entrySlot) remove(old);
        entries[r.entrySlot] = r;
        for (int off : r.entryOffsets) if (entries[off >> 1] == null) entries[off >> 1] = r;
        if (r.innerOffsets.length > 0) {
            if (heat == null) heat = new short[SLOTS];
            for (int off : r.innerOffsets) if (entries[off >> 1] == null && heat[off >> 1] >= 0) heat[off >> 1] = COVERED;
        }
        regions.add(r);
    }

    int regionCount() { return regions.size(); }

    /** True when the block start at {@code slot} lies inside a loop of a region of this page (see {@link #COVERED}). */
    boolean insideLoopOfARegion(int slot) {
        for (CompiledRegion r : regions) for (int off : r.innerOffsets) if (off == slot << 1) return true;
        return false;
    }

    /** Clears the slots and regions that cover [offset, offset+size), telling {@code dropped} of each region; returns how many went. */
    int invalidate(int offset, int size, java.util.function.Consumer<CompiledRegion> dropped) {
        int from = Math.max(0, (offset >> 1) - 1), to = Math.min(SLOTS - 1, (offset + size - 1) >> 1);
        for (int i = from; i <= to; i++) ops[i] = 0;
        generation++;
        if (regions.isEmpty()) return 0;
        int gone = 0;
        for (int i = regions.size() - 1; i >= 0; i--) {
            CompiledRegion r = regions.get(i);
            if (r.covers(offset >> 1, to)) {
                remove(r);
                dropped.accept(r);
                gone++;
                regionsOverwritten++;
            }
        }
        return gone;
    }

    private void remove(CompiledRegion r) {
        regions.remove(r);
        if (entries[r.entrySlot] == r) entries[r.entrySlot] = null;
        for (int off : r.entryOffsets) {
            int slot = off >> 1;
            if (entries[slot] == r) entries[slot] = null;
            if (heat != null && heat[slot] > 0) heat[slot] = 0;
        }
        if (heat != null) for (int off : r.innerOffsets) if (heat[off >> 1] == COVERED) heat[off >> 1] = 0;
    }

    /** Drops every region (the page itself is being forgotten or the code cache is flushed). */
    int discardRegions() {
        int n = regions.size();
        regions.clear();
        entries = null;
        heat = null;
        return n;
    }

    void discard() { discardRegions(); }
}
