package org.orrery.cpu.riscv.internal;

/**
 * A region of guest code translated to a JVM method: all the code reachable from one entry point inside one
 * 4 KiB physical page, with guest registers in JVM locals. The translator generates one hidden subclass per
 * region; the class goes away (and is unloaded) when no page refers to the region any more. A region depends
 * only on the code and on how the harts translate it (their flavor), never on one hart: harts of a machine
 * share regions through {@link org.orrery.machine.memory.CodePages}.
 *
 * <p>{@link #run} returns the next guest pc and leaves the number of instructions it retired in
 * {@link RiscvHart#regionRetired}. It leaves early, with every register written back, when an instruction
 * traps (the hart's {@code trapped} flag is set and the pc returned is the trapping instruction's), when
 * something needs the run loop's attention, at a loop back-edge once the budget is spent or an exit was
 * requested, and wherever control leaves the region.
 */
abstract class CompiledRegion {
    /** The halfword slot of the entry in its page: the block start it was translated from. */
    int entrySlot;
    /** Page offsets of the block starts where {@link #run} may be entered (the entry among them). */
    int[] entryOffsets;
    /** Page offsets of the other block starts (inside a loop of the region): never translated again on their own. */
    int[] innerOffsets;
    /** Halfword slots covered by the region's instructions, one bit each. */
    long[] coverage;
    /** Bytes of JVM bytecode in {@link #run}. */
    int codeBytes;
    int guestInstructions;
    /** Per exit site (an instruction whose helper may trap or need attention): page offset, length, and
     *  the instructions of its block retired before it. */
    int[] siteOffset, siteLength, siteBefore;
    long amask;
    /**
     * Calls left that run with a small budget. A new region starts in HotSpot's bytecode interpreter, which
     * compiles it after a couple of hundred calls; a loop given the run loop's whole budget (8,192
     * instructions) ran its first million or so instructions there, tens of milliseconds. Harts sharing the
     * region count down together, without synchronising: a lost decrement only costs a call.
     */
    int coldCallsLeft = COLD_CALLS;
    static final int COLD_CALLS = 512, COLD_BUDGET = 64;

    /** Executes the region from the block start at page offset {@code entry}; {@code vpage} is the virtual address of its page. */
    abstract long run(RiscvHart h, long vpage, int budget, int entry);

    /**
     * Two implementations that never run, loaded with the translator (see {@link Translator}), so that HotSpot
     * never sees a single concrete subclass. While one region class was loaded, class-hierarchy analysis let C2
     * compile the dispatcher with that region's code inlined into it, and it threw the compiled dispatcher away
     * as soon as the second region was defined: some 17 ms of the C2 thread early in every guest, and the
     * dispatcher back in C1 code until it was compiled again. (With one placeholder, code compiled before the
     * first region counted on the placeholder instead.)
     */
    static final class NotARegion extends CompiledRegion {
        @Override
        long run(RiscvHart h, long vpage, int budget, int entry) {
            throw new IllegalStateException("not a region");
        }
    }

    /** See {@link NotARegion}. */
    static final class NotARegionEither extends CompiledRegion {
        @Override
        long run(RiscvHart h, long vpage, int budget, int entry) {
            throw new IllegalStateException("not a region");
        }
    }

    /** The pc to go on at after leaving at a site: the instruction itself if it trapped, else the next one. */
    final long sitePc(int site, long vpage, boolean trapped) {
        return (vpage + siteOffset[site] + (trapped ? 0 : siteLength[site])) & amask;
    }

    /** Instructions of the site's block retired when leaving at the site. */
    final int siteRetired(int site, boolean trapped) {
        return siteBefore[site] + (trapped ? 0 : 1);
    }

    /** True if any halfword slot in [from, to] holds an instruction of this region. */
    final boolean covers(int from, int to) {
        for (int s = from; s <= to; s++) if ((coverage[s >>> 6] >>> (s & 63) & 1) != 0) return true;
        return false;
    }
}
