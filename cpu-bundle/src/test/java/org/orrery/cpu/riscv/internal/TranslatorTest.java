package org.orrery.cpu.riscv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.testing.Engine;
import org.orrery.cpu.riscv.testing.GuestBuild;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.Acceleration;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.cpu.TranslationStatistics;

/** The translator's bookkeeping: the code cache cap, unloading of dropped code, background translation, close(). */
class TranslatorTest {
    private static final long B = TestMachine.RAM_BASE;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theCodeCacheStaysUnderItsCapAndDroppedRegionsAreUnloaded() throws Exception {
        Path elf = GuestBuild.build("fp");
        long cap = 64 << 10; // the smallest cache allowed; the fp test program translates more than twice that
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), new Acceleration(true, cap, 2, 0, null), TestHarts.translator(2, false));
        m.loadElf(elf);
        List<WeakReference<Class<?>>> early = new ArrayList<>();
        RiscvHart h = (RiscvHart) m.hart;
        long maxBytes = 0;
        TestMachine.Result r;
        do {
            r = m.run(200_000);
            TranslationStatistics s = h.translationStatistics();
            maxBytes = Math.max(maxBytes, s.codeBytes());
            if (early.isEmpty() && s.regions() > 0) h.mmu.pages.forEach(p -> {
                for (int slot = 0; slot < DecodedPage.SLOTS; slot++) {
                    CompiledRegion c = p.region(slot);
                    if (c != null) early.add(new WeakReference<>(c.getClass()));
                }
            });
        } while (!r.finished());
        assertTrue(r.passed(), r.output());
        TranslationStatistics s = h.translationStatistics();
        assertTrue(s.evictions() > 0 && s.flushes() > 1, "the cap was never reached: " + s);
        assertTrue(maxBytes <= cap, "code grew to " + maxBytes + " bytes over a cap of " + cap);
        assertFalse(early.isEmpty());
        // the regions dropped by the first eviction are hidden classes nothing refers to any more
        for (int i = 0; i < 20 && early.stream().anyMatch(w -> w.get() != null); i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(early.stream().allMatch(w -> w.get() == null), "translated classes were not unloaded after eviction");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void backgroundTranslationInstallsRegionsAndCloseStopsItsThread() throws Exception {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(5, true));
        // a loop that runs long enough for the background translation to come back: addi a0, a0, 1; j -4
        RiscvHart h = startAtB(m, 0x00150513, 0xffdff06f);
        for (int i = 0; i < 2000 && h.translationStatistics().regionEntries() == 0; i++) {
            m.hart.run(10_000);
            Thread.sleep(1);
        }
        TranslationStatistics s = h.translationStatistics();
        assertEquals(1, s.translations(), s.toString());
        assertTrue(s.regionEntries() > 0 && s.translatedInstructions() > 0, s.toString());
        assertTrue(threadAlive("orrery-translator-hart0"), "the background translator runs on its own thread");
        m.hart.close();
        for (int i = 0; i < 100 && threadAlive("orrery-translator-hart0"); i++) Thread.sleep(10);
        assertFalse(threadAlive("orrery-translator-hart0"), "close() stops the translator thread");
        assertNull(h.mmu.pages.get(B >>> 12), "close() drops the translated code");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aHartArrivingInsideATranslatedLoopRunsOnToItsHeaderInsteadOfTranslatingTheLoopAgain() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(5, false));
        // B: addi a0,a0,1; andi t0,a0,1; beqz t0,+8; addi a1,a1,1; B+16: addi a2,a2,1; j B
        RiscvHart h = startAtB(m, 0x00150513, 0x00157293, 0x00028463, 0x00158593, 0x00160613, 0xfedff06f);
        int arrivals = 0;
        for (int round = 0; round < 200; round++) {
            if (round >= 100) {
                // control comes into the middle of the loop from elsewhere (a return, another hart's path)
                m.hart.debug().setPc(B + 16);
                arrivals++;
            }
            m.hart.run(5_000);
            while (h.pc != B) m.hart.run(1);
        }
        TranslationStatistics s = h.translationStatistics();
        assertEquals(1, s.translations(), "the loop is translated once, from its header: " + s);
        assertEquals(h.x[10] + arrivals, h.x[12], "each arrival ran the rest of its iteration once");
        assertEquals((h.x[10] + 1) / 2, h.x[11]);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void whileWarmingUpALoopHeadIsTranslatedLongBeforeTheFunctionItCalls() {
        TranslatorTuning warming = new TranslatorTuning(5, false, Long.MAX_VALUE);
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, (env, cfg) -> new RiscvHart(env, cfg, warming));
        // B: addi a0,a0,1; jal ra,B+0x100; j B    B+0x100: addi a1,a1,1; ret
        m.poke32(B, 0x00150513, 0x0fc000ef, 0xff9ff06f);
        m.poke32(B + 0x100, 0x00158593, 0x00008067);
        m.hart.debug().setPc(B);
        RiscvHart h = (RiscvHart) m.hart;
        int loopHeadEntries = warming.warmupThreshold(true), functionEntries = warming.warmupThreshold(false);
        assertTrue(loopHeadEntries < functionEntries);
        while (h.x[10] < (loopHeadEntries + functionEntries) / 2) m.hart.run(3);
        DecodedPage page = h.mmu.pages.get(B >>> 12);
        assertTrue(page.region(slot(B)) != null, "the loop head was translated after " + loopHeadEntries + " entries");
        assertNull(page.region(slot(B + 0x100)), "the function entered " + h.x[11] + " times is still interpreted");
        while (h.x[10] < functionEntries + 50) m.hart.run(3);
        assertTrue(page.region(slot(B + 0x100)) != null, "the function was translated after " + functionEntries + " entries");
        // a region leaves at its own loops' back-edges only, so the run may go round B without stopping there
        while (h.pc != B && h.pc != B + 8) m.hart.run(1);
        assertEquals(h.x[10], h.x[11], "every iteration called the function once");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aHartSpinningInTranslatedCodeIsStillWarmingUp() {
        long warmup = 50_000;
        TranslatorTuning warming = new TranslatorTuning(5, false, warmup);
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, (env, cfg) -> new RiscvHart(env, cfg, warming));
        // B: addi a0,a0,1; bne a0,a1,B (a spin, soon translated)   B+8: jal ra,F; addi a2,a2,1; bne a2,a3,B+8; j .
        // F = B+0x100: addi a4,a4,1; ret
        m.poke32(B, 0x00150513, 0xfeb51ee3, 0x0f8000ef, 0x00160613, 0xfed61ce3, 0x0000006f);
        m.poke32(B + 0x100, 0x00170713, 0x00008067);
        RiscvHart h = (RiscvHart) m.hart;
        h.x[11] = 100_000;  // spin iterations: 200,000 instructions, four times the warm-up
        h.x[13] = 10;       // calls of F afterwards: twice the threshold after the warm-up, far below the one during it
        m.hart.debug().setPc(B);
        while (h.pc != B + 0x14) m.hart.run(1_000);
        TranslationStatistics s = h.translationStatistics();
        assertTrue(h.retired > 3 * warmup && s.interpretedInstructions() < warmup, "the spin ran translated: " + s);
        DecodedPage page = h.mmu.pages.get(B >>> 12);
        assertTrue(page.region(slot(B)) != null, "the spin was translated");
        assertNull(page.region(slot(B + 0x100)), "F, called " + h.x[14] + " times after the spin, is still interpreted: "
                + "the warm-up counts interpreted instructions, not the spin's");
        assertEquals(10, h.x[14]);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLoopWhoseBackwardJumpComesFromTheNextPageIsALoopHeadToo() {
        TranslatorTuning warming = new TranslatorTuning(5, false, Long.MAX_VALUE);
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, (env, cfg) -> new RiscvHart(env, cfg, warming));
        // B+0xff8: addi a0,a0,1; addi a1,a1,1 | next page: addi a2,a2,1; j B+0xff8
        long head = B + 0xff8;
        m.poke32(head, 0x00150513, 0x00158593, 0x00160613, 0xff5ff06f);
        m.hart.debug().setPc(head);
        RiscvHart h = (RiscvHart) m.hart;
        int loopHeadEntries = warming.warmupThreshold(true), otherEntries = warming.warmupThreshold(false);
        while (h.x[10] < (loopHeadEntries + otherEntries) / 2) m.hart.run(4);
        assertTrue(h.mmu.pages.get(head >>> 12).region(slot(head)) != null,
                "the loop head was translated after " + loopHeadEntries + " entries, not " + otherEntries);
        DecodedPage next = h.mmu.pages.get((head + 8) >>> 12);
        assertTrue(next == null || next.region(slot(head + 8)) == null, "the block after the page boundary is no loop head");
        while (h.pc != head) m.hart.run(1);
        assertEquals(h.x[10], h.x[12], "every iteration ran both pages");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aNewLoopRegionRunsShortCallsUntilHotSpotHasHadTheCallsItCompilesAfter() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(5, false));
        m.poke32(B, 0x00150513, 0xffdff06f); // addi a0, a0, 1; j B
        m.hart.debug().setPc(B);
        RiscvHart h = (RiscvHart) m.hart;
        long total = 4_000_000;
        while (h.retired < total) m.hart.run(total - h.retired);
        while (h.pc != B) m.hart.run(1);
        TranslationStatistics s = h.translationStatistics();
        assertEquals(1, s.translations(), s.toString());
        long coldInstructions = (long) CompiledRegion.COLD_CALLS * CompiledRegion.COLD_BUDGET;
        long fullCalls = (s.translatedInstructions() - coldInstructions) / 8192;
        // each of the first calls stops at its first back-edge past the small budget; then the run loop's chunks
        assertTrue(s.regionEntries() >= CompiledRegion.COLD_CALLS + fullCalls - 2, s.toString());
        assertTrue(s.regionEntries() <= CompiledRegion.COLD_CALLS + fullCalls + 64, "later calls run whole chunks: " + s);
        assertEquals(h.retired, h.x[10] * 2, "every iteration ran both instructions");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLoopEnteredBelowItsTopRunsTranslatedAfterItsBudgetRunsOut() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(1, false));
        // the shape gcc gives a while loop whose test sits at the bottom of its body (a list walk, say):
        // B: j body; top: addi a1,a1,1; body: addi a0,a0,1; bne a0,a2,top; B+16: j .
        RiscvHart h = startAtB(m, 0x0080006f, 0x00158593, 0x00150513, 0xfec51ce3, 0x0000006f);
        h.x[12] = 1_000_000;
        while (h.pc != B + 16) m.hart.run(1_000);
        TranslationStatistics s = h.translationStatistics();
        assertEquals(1_000_000, h.x[10]);
        assertEquals(999_999, h.x[11]);
        // the budget runs out at the back-edge into the loop's header (body), where the region is entered again;
        // leaving at top, which only the back-edge reaches, left the rest of the loop to the interpreter
        assertTrue(s.interpretedInstructions() < 2_000, "the loop ran interpreted: " + s);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRegionHoldsOneLoopNestAndTheNextLoopIsARegionOfItsOwn() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(1, false));
        // B: addi a0,a0,1; bne a0,a1,B; li a2,0; B+12: addi a2,a2,1; bne a2,a3,B+12; B+20: j .
        RiscvHart h = startAtB(m, 0x00150513, 0xfeb51ee3, 0x00000613, 0x00160613, 0xfed61ee3, 0x0000006f);
        h.x[11] = 100_000;
        h.x[13] = 100_000;
        while (h.pc != B + 20) m.hart.run(1_000);
        assertEquals(100_000, h.x[10]);
        assertEquals(100_000, h.x[12]);
        DecodedPage page = h.mmu.pages.get(B >>> 12);
        CompiledRegion first = page.region(slot(B)), second = page.region(slot(B + 12));
        assertTrue(first != null && second != null && first != second, "each loop is a region of its own");
        assertTrue(first.covers(slot(B + 8), slot(B + 8)), "the code after the first loop is in its region");
        assertFalse(first.covers(slot(B + 12), slot(B + 20)), "the first region stops where the second loop starts");
        assertTrue(h.translationStatistics().interpretedInstructions() < 2_000, h.translationStatistics().toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFunctionsEarlyReturnIsInItsRegionPastTheRegionsLimit() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(1, false));
        // B: addi a0,a0,1; jal ra,F; bne a0,a1,B; j .
        // F = B+0x100: beqz a2,F+0x120; 70 x addi a3,a3,1 (past the region's limit); ret;  F+0x120: ret
        RiscvHart h = startAtB(m, 0x00150513, 0x0fc000ef, 0xfeb51ce3, 0x0000006f);
        int[] function = new int[73];
        function[0] = 0x12060063;
        java.util.Arrays.fill(function, 1, 71, 0x00168693);
        function[71] = 0x00008067;
        function[72] = 0x00008067;
        m.poke32(B + 0x100, function);
        h.x[11] = 20_000;
        while (h.pc != B + 12) m.hart.run(1_000);
        assertEquals(20_000, h.x[10]);
        assertEquals(0, h.x[13], "every call took the early return");
        CompiledRegion f = h.mmu.pages.get(B >>> 12).region(slot(B + 0x100));
        assertTrue(f != null, "the function was translated");
        assertFalse(f.covers(slot(B + 0x21c), slot(B + 0x21c)), "the long path stops at the limit");
        assertTrue(f.covers(slot(B + 0x220), slot(B + 0x220)), "the early return is in the function's region");
        // two region entries an iteration: the loop's, and the function's, which returns from its own code
        TranslationStatistics s = h.translationStatistics();
        assertTrue(s.regionEntries() <= 2L * 20_000 + 10, s.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aBranchOverAShortBlockRunsWithoutAHostBranchAndKeepsTheExactCounts() {
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Acceleration.DEFAULT, TestHarts.translator(1, false));
        // B: andi t2,a3,1; srli t1,a3,1; bnez t2,B+16; addi t1,a3,7; B+16: add a3,t1,a0; addi a0,a0,1; bne a0,a1,B
        //    csrr a4,minstret; j .
        RiscvHart h = startAtB(m, 0x0016f393, 0x0016d313, 0x00039463, 0x00768313, 0x00a306b3, 0x00150513, 0xfeb514e3,
                0xb0202773, 0x0000006f);
        int n = 100_000;
        h.x[11] = n;
        h.x[13] = 12345;
        while (h.pc != B + 32) m.hart.run(1_000);
        long v = 12345, instructions = 0;
        for (long i = 0; i < n; i++) {
            boolean odd = (v & 1) != 0;
            v = (odd ? v >>> 1 : v + 7) + i;
            instructions += odd ? 6 : 7;
        }
        assertEquals(v, h.x[13], "the value the loop computed");
        assertEquals(instructions, h.x[14], "minstret counts the skipped block's instruction only when it ran");
        TranslationStatistics s = h.translationStatistics();
        assertTrue(s.translatedInstructions() > instructions / 2, s.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hartsOfOneAddressSpaceShareRegionsButEachLooksUpItsOwnDataTlb() {
        // sw t0, 0(s0); addi s0, s0, 4; addi t0, t0, -1; bnez t0, loop; j .
        int[] fill = {0x00542023, 0x00440413, 0xfff28293, 0xfe029ae3, 0x0000006f};
        long buffer = B + 0x10000;
        TestMachine m = new TestMachine(RiscvConfig.rv64gc(0, B), Engine.TRANSLATOR);
        RiscvHart first = startAtB(m, fill);
        first.x[8] = buffer;
        first.x[5] = 1000;
        first.run(100_000);
        assertEquals(0, first.x[5]);
        assertTrue(first.translationStatistics().regions() > 0, "the loop was translated");

        // a second hart of the same address space runs the same code; it watches the buffer's 901st word, so it
        // never maps the buffer into its data TLB: its stores must miss there even though the first hart's
        // TLB (in the same bank) maps the page, and so reach the watchpoint
        RiscvHart second = new RiscvHart(m.env, RiscvConfig.rv64gc(1, B), new TranslatorTuning(2, false, 0));
        assertSame(first.mmu.tlbSlot.bank(), second.mmu.tlbSlot.bank(), "one bank for the address space");
        assertNotSame(first.mmu.tlbSlot.index(), second.mmu.tlbSlot.index());
        long watched = buffer + 4 * 900;
        second.debug().setPc(B);
        second.x[8] = buffer;
        second.x[5] = 1000;
        second.debug().addWatchpoint(watched, 4, 2);
        assertEquals(StopReason.WATCHPOINT, second.run(1_000_000));
        assertEquals(watched, second.debug().lastWatchpointAddress());
        assertEquals(100, second.x[5], "stopped before the 901st store");
        assertTrue(second.translationStatistics().sharedRegions() > 0, "the second hart ran the first one's region: "
                + second.translationStatistics());

        // a hart taking the slot of a closed one starts with none of its entries
        int slot = second.mmu.tlbSlot.index();
        second.close();
        RiscvHart third = new RiscvHart(m.env, RiscvConfig.rv64gc(2, B), new TranslatorTuning(2, false, 0));
        assertEquals(slot, third.mmu.tlbSlot.index(), "the closed hart's slot is reused");
        int base = third.mmu.tlbSlot.base();
        for (int i = base; i < base + TlbBank.SLOT_LONGS; i += 2) {
            assertEquals(-1L, third.mmu.rTlb[i], "read entry " + i);
            assertEquals(-1L, third.mmu.wTlb[i], "write entry " + i);
        }
        third.close();
    }

    @Test
    void anAddressSpaceWithMoreHartsThanABankHoldsGetsAnotherBank() {
        TlbBank.Banks banks = new TlbBank.Banks();
        List<TlbBank.Slot> slots = new ArrayList<>();
        for (int k = 0; k <= TlbBank.HARTS; k++) slots.add(banks.claim());
        TlbBank firstBank = slots.getFirst().bank();
        assertEquals(TlbBank.HARTS, slots.stream().filter(s -> s.bank() == firstBank).map(TlbBank.Slot::index).distinct().count());
        assertNotSame(firstBank, slots.getLast().bank(), "the hart beyond the first bank's slots gets a bank of its own");
        slots.get(7).release();
        TlbBank.Slot again = banks.claim();
        assertSame(firstBank, again.bank());
        assertEquals(7, again.index(), "a released slot is taken again");
    }

    /** Puts the program's words at B and the hart's pc there. */
    private static RiscvHart startAtB(TestMachine m, int... program) {
        m.poke32(B, program);
        m.hart.debug().setPc(B);
        return (RiscvHart) m.hart;
    }

    private static int slot(long pc) {
        return (int) (pc >>> 1) & (DecodedPage.SLOTS - 1);
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
