package org.orrery.cpu.riscv.internal;

import java.lang.foreign.MemorySegment;

/** Decoded instructions of one 4 KiB physical page, one slot per halfword; slot value 0 = not decoded yet. */
final class DecodedPage {
    final long paPage;
    final MemorySegment segment;
    final long segmentOffset;   // offset of the page's first byte in the segment
    final int validBytes;       // bytes of the page backed by the segment (4096 unless a region ends inside)
    /** Per halfword slot: packed instruction word (low 32 bits) and immediate (high 32 bits). */
    final long[] ops = new long[2048];

    DecodedPage(long paPage, MemorySegment segment, long segmentOffset, int validBytes) {
        this.paPage = paPage;
        this.segment = segment;
        this.segmentOffset = segmentOffset;
        this.validBytes = validBytes;
    }

    void invalidate(int offset, int size) {
        int from = Math.max(0, (offset >> 1) - 1), to = Math.min(2047, (offset + size - 1) >> 1);
        for (int i = from; i <= to; i++) ops[i] = 0;
    }
}
