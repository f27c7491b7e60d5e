package org.orrery.machine.memory;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sharing translations between CPUs: one claims a block, the others wait for its translation, writes end both. */
class CodePagesTest {
    private static final Object FLAVOR = "rv64";
    private static final long PAGE = 0x80000;             // physical page number of 0x80000000
    private static final long ENTRY = (PAGE << 12) + 0x40;

    private static final class RecordingHolder implements CodePages.Holder {
        final List<long[]> writes = new ArrayList<>();
        @Override public void codeWritten(long address, long length) { writes.add(new long[] {address, length}); }
        @Override public void pageHeld(long page) { }
    }

    private final CodePages pages = new CodePages();
    private final RecordingHolder hart0 = new RecordingHolder(), hart1 = new RecordingHolder();

    CodePagesTest() {
        pages.attach(hart0);
        pages.attach(hart1);
        pages.hold(hart0, PAGE);
        pages.hold(hart1, PAGE);
    }

    @Test void cpusShareAnAttachmentUntilTheLastOneDetaches() {
        StringBuilder first = pages.attachment(StringBuilder.class, StringBuilder::new);
        assertSame(first, pages.attachment(StringBuilder.class, StringBuilder::new), "the second CPU gets the first one's");
        pages.detach(hart0);
        assertSame(first, pages.attachment(StringBuilder.class, StringBuilder::new), "kept while a holder remains");
        pages.detach(hart1);
        pages.attach(hart0);
        assertNotSame(first, pages.attachment(StringBuilder.class, StringBuilder::new), "dropped with the last holder");
    }

    @Test void onlyTheFirstClaimTranslatesAndTheOthersTakeItsResult() {
        long generation = pages.generation(PAGE);
        assertTrue(pages.claim(FLAVOR, ENTRY, generation), "the first hart translates");
        assertFalse(pages.claim(FLAVOR, ENTRY, generation), "the second waits for it");
        assertNull(pages.shared(FLAVOR, ENTRY), "nothing to take while it is being translated");
        Object region = new Object();
        pages.share(FLAVOR, ENTRY, generation, region);
        assertSame(region, pages.shared(FLAVOR, ENTRY));
        assertFalse(pages.claim(FLAVOR, ENTRY, generation), "translated already");
        assertTrue(pages.claim("rv32", ENTRY, generation), "another flavor translates for itself");
    }

    @Test void aClaimGivenUpLetsTheNextHartTranslate() {
        long generation = pages.generation(PAGE);
        assertTrue(pages.claim(FLAVOR, ENTRY, generation));
        pages.unclaim(FLAVOR, ENTRY);
        assertTrue(pages.claim(FLAVOR, ENTRY, generation));
    }

    @Test void unclaimNeverDropsASharedTranslation() {
        long generation = pages.generation(PAGE);
        Object region = new Object();
        pages.share(FLAVOR, ENTRY, generation, region);
        pages.unclaim(FLAVOR, ENTRY);
        assertSame(region, pages.shared(FLAVOR, ENTRY));
    }

    @Test void aWriteToThePageEndsClaimsAndTranslationsFromItsOldCode() {
        long before = pages.generation(PAGE);
        assertTrue(pages.claim(FLAVOR, ENTRY, before));
        pages.written(ENTRY, 4, hart0);
        org.junit.jupiter.api.Assertions.assertEquals(1, hart1.writes.size(), "the other hart hears of the write");
        assertTrue(hart0.writes.isEmpty(), "the writer drops what it overwrote itself");
        long after = pages.generation(PAGE);
        assertTrue(after != before);
        assertTrue(pages.claim(FLAVOR, ENTRY, after), "the stale claim does not hold the new code back");
        pages.share(FLAVOR, ENTRY, before, new Object());
        assertNull(pages.shared(FLAVOR, ENTRY), "a translation of the old code is never shared");
    }
}
