package org.orrery.cpu.riscv.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The data TLBs of up to {@link #HARTS} harts of one address space, in one set of arrays. Translated regions,
 * which those harts share, hold the arrays as constants of their class and mask every index into them, so
 * HotSpot's C2 drops the null check, the length load and both bounds checks of each guest load and store, and
 * keeps no register for the arrays (see ARCHITECTURE.md, "TLB arrays as constants").
 *
 * <p>A hart owns one slot: {@link #SETS} sets, one per privilege level, of {@link Mmu#TLB_SIZE} entries. An
 * entry is a tag and a host address at [i] and [i+1] of {@link #read} or {@link #write}, and the physical page
 * at [i/2] of {@link #readPa} or {@link #writePa}. Only the slot's hart reads or writes its entries.
 */
final class TlbBank {
    static final int HARTS = 64, SETS = 4;
    /** One set of a data TLB: a tag and a host address per entry. */
    static final int SET_LONGS = 2 * Mmu.TLB_SIZE;
    static final int SLOT_LONGS = SETS * SET_LONGS;
    static final int LONGS = HARTS * SLOT_LONGS;
    /**
     * Keeps a set's start inside the arrays, and tells C2 so: a masked base plus an index within a set, and the
     * index after it, are always in bounds, so no check is made.
     */
    static final int BASE_MASK = LONGS - SET_LONGS;

    final long[] read = new long[LONGS], write = new long[LONGS];
    final long[] readPa = new long[LONGS / 2], writePa = new long[LONGS / 2];
    private final BitSet used = new BitSet(HARTS);

    /** What regions made for harts of this bank get as class data: the arrays, in the order RegionCompiler reads them. */
    long[][] arrays() { return new long[][] {read, write, readPa, writePa}; }

    private synchronized int claim() {
        int slot = used.nextClearBit(0);
        if (slot >= HARTS) return -1;
        used.set(slot);
        return slot;
    }

    synchronized void release(int slot) { used.clear(slot); }

    /** A hart's place: its bank and slot there. */
    record Slot(TlbBank bank, int index) {
        /** Where the slot's first set starts in the tag and host arrays. */
        int base() { return index * SLOT_LONGS; }

        void release() { bank.release(index); }
    }

    /** The banks of one address space (a CodePages attachment): a hart takes a slot in the first bank with one free. */
    static final class Banks {
        private final List<TlbBank> banks = new ArrayList<>();

        synchronized Slot claim() {
            for (TlbBank b : banks) {
                int slot = b.claim();
                if (slot >= 0) return new Slot(b, slot);
            }
            TlbBank b = new TlbBank();
            banks.add(b);
            return new Slot(b, b.claim());
        }
    }
}
