package org.orrery.cpu.riscv.internal;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

import org.orrery.machine.cpu.Acceleration;
import org.orrery.machine.cpu.TranslationStatistics;

/**
 * The translating engine. It dispatches on the pc: where a translated region starts it runs the region's
 * JVM code; elsewhere the interpreter runs one block (up to the next control transfer) and the translator
 * counts how often each block start is entered. A block start that gets hot is translated, in the
 * background by default, and installed in its page at the next dispatch, unless a store changed the page's
 * code in the meantime.
 *
 * <p>Regions are keyed by physical page and entry offset, and their code is independent of the virtual
 * address they run at (the page's virtual base is a parameter), so a page mapped twice shares its
 * regions. Generated code is capped ({@link Acceleration#codeCacheSize()}): reaching the cap drops every
 * region, as QEMU flushes its translation cache when full, and the hot code is translated again.
 */
final class Translator {
    private final RiscvHart h;
    private final Mmu mmu;
    private final Interpreter interpreter;
    private final RegionCompiler compiler;
    private final long capacity;
    private final Consumer<String> log;
    private final TranslatorTuning tuning;

    /** A translation to make: the page's generation (this hart's own count, and the machine's) when it was asked for. */
    private record Job(DecodedPage page, int slot, long vpage, int generation, long codeGeneration) { }
    /** What decides how this hart translates: harts of the same flavor share their regions. */
    private final RegionCompiler.Flavor flavor;
    /** Block entries after which a hart looks for a region another hart translated (far fewer than to translate itself). */
    private static final int SHARED_LOOKUP_HEAT = 4;
    /** Block entries between two looks for the region of a block another hart is translating. */
    private static final int SHARED_RECHECK_ENTRIES = 64;
    /** A translation's outcome; {@code skipped}: not made, as its block already runs translated (see {@link #alreadyCovered}). */
    private record Done(Job job, RegionCompiler.Result result, long nanos, Throwable failure, boolean skipped) {
        Done(Job job, RegionCompiler.Result result, long nanos, Throwable failure) {
            this(job, result, nanos, failure, false);
        }
    }

    static {
        // heat() is compiled before its first translation request, which would otherwise be a trap (see there);
        // two implementations of CompiledRegion.run keep the dispatcher from being compiled against one region's
        RegionCompiler.initialise(List.of(Job.class.describeConstable().orElseThrow(),
                CompiledRegion.NotARegion.class.describeConstable().orElseThrow(),
                CompiledRegion.NotARegionEither.class.describeConstable().orElseThrow()));
    }

    /** The interpreter's stretch ended at a block start the dispatcher counts, reached by a backward branch or jump: a loop head, for heat(). */
    private boolean stretchEndedAtLoopHead;
    /**
     * Interpreted stretches this hart has left that end at their first block start. HotSpot compiles a method
     * after some hundred calls (on-stack replacement is off, see ARCHITECTURE.md), and one stretch can run
     * thousands of instructions: a compute loop inside one page used to run its first ~150,000 instructions
     * with the interpreter itself still in HotSpot's bytecode interpreter, some 300 ns each.
     */
    private int shortStretchesLeft = SHORT_STRETCHES;
    private static final int SHORT_STRETCHES = 1024;
    private final LinkedBlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<Done> finished = new ConcurrentLinkedQueue<>();
    private volatile boolean finishedReady;
    private Thread worker;
    private int pending;
    /** The first translation that failed (a translator bug); the code it covers is interpreted instead. */
    Throwable firstFailure;

    // statistics
    private long regions, codeBytes, translations, sharedInstalls, translationNanos, discarded, entries, interpretedBlocks,
        translatedInstructions, interpretedInstructions, invalidations, flushes, evictions;

    Translator(RiscvHart h, Acceleration acceleration, TranslatorTuning tuning) {
        this.h = h;
        this.mmu = h.mmu;
        this.interpreter = h.interpreter;
        TlbBank tlbBank = h.mmu.tlbSlot.bank();
        this.compiler = new RegionCompiler(h.decoder, h.rv64, h.cfg.c(), tlbBank);
        this.flavor = new RegionCompiler.Flavor(h.cfg.xlen(), h.cfg.m(), h.cfg.a(), h.cfg.f(), h.cfg.d(), h.cfg.c(), tlbBank);
        this.capacity = acceleration.codeCacheSize();
        this.log = acceleration.translationLog();
        this.tuning = tuning;
    }

    /** Runs about {@code max} instructions; returns those attempted (traps included), as the interpreter does. */
    long execute(long max) {
        final RiscvHart h = this.h;
        long n = 0;
        while (n < max) {
            if (finishedReady) installFinished();
            boolean loopHead = stretchEndedAtLoopHead;
            stretchEndedAtLoopHead = false;
            long pc = h.pc;
            DecodedPage page = mmu.cachedCodePage(pc);
            if (page != null) {
                int slot = (int) (pc >>> 1) & (DecodedPage.SLOTS - 1);
                CompiledRegion region = page.region(slot);
                if (region != null) {
                    int budget = (int) Math.min(max - n, Integer.MAX_VALUE);
                    if (region.coldCallsLeft > 0) {
                        region.coldCallsLeft--;
                        budget = Math.min(budget, CompiledRegion.COLD_BUDGET);
                    }
                    long next = region.run(h, pc & ~0xfffL, budget, (int) pc & 0xfff);
                    int retired = h.regionRetired;
                    h.retired += retired;
                    n += retired;
                    translatedInstructions += retired;
                    entries++;
                    if (h.trapped) { next = h.takeTrap(next); n++; }
                    h.pc = next;
                    if (h.attention) return n;
                    if (h.interpretNext) {
                        // the access the region could not make, and the rest of its block; not a block start to count
                        h.interpretNext = false;
                        n += interpret(max - n, this);
                        if (h.attention) return n;
                    }
                    continue;
                }
                heat(page, slot, pc, loopHead);
            }
            n += interpret(max - n, this);
            if (h.attention) return n;
        }
        return n;
    }

    /** The interpreter runs until translated code can take over (see {@link #blockStart}), or alone while warming up. */
    private long interpret(long max, Translator watcher) {
        long before = h.retired;
        if (shortStretchesLeft > 0) shortStretchesLeft--;
        long n = interpreter.execute(max, watcher);
        interpretedInstructions += h.retired - before;
        return n;
    }

    /**
     * The interpreter reached a block start at pc (pageVa is the virtual page it is running in): true ends its
     * stretch, for the dispatcher to take over (translated code starts here, pc left the page, or a region
     * was just installed here); otherwise the entry is counted and the interpreter goes on. {@code loopHead}: a
     * backward branch or jump led here.
     */
    boolean blockStart(DecodedPage page, long pageVa, long pc, boolean loopHead) {
        if ((pc & Mmu.M1) != pageVa || shortStretchesLeft > 0) {
            stretchEndedAtLoopHead = loopHead; // the dispatcher counts the entry
            return true;
        }
        int slot = (int) (pc >>> 1) & (DecodedPage.SLOTS - 1);
        if (page.region(slot) != null) return true;
        heat(page, slot, pc, loopHead);
        return page.region(slot) != null;
    }

    /** Regions of one page that stores may overwrite before the page is no longer translated (self-modifying code). */
    private static final int OVERWRITES_BEFORE_GIVING_UP = 16;

    private void heat(DecodedPage page, int slot, long pc, boolean loopHead) {
        interpretedBlocks++;
        if (page.regionsOverwritten > OVERWRITES_BEFORE_GIVING_UP) return;
        short[] heat = page.heat;
        if (heat == null) heat = page.heat = new short[DecodedPage.SLOTS];
        int v = heat[slot];
        if (v < 0) return; // never translatable, or being translated
        if (++v == SHARED_LOOKUP_HEAT && installShared(page, slot)) return;
        // the warm-up counts what the interpreter ran: a hart spinning in translated code (a lock, an idle
        // poll) would otherwise leave it within a second of an SMP boot and translate the rest of the boot
        int threshold = interpretedInstructions < tuning.warmup() ? tuning.warmupThreshold(loopHead) : tuning.hotThreshold();
        if (v < threshold) { heat[slot] = (short) v; return; }
        if (installShared(page, slot)) return;
        long codeGeneration = h.codePages.generation(page.paPage >>> 12);
        if (!h.codePages.claim(flavor, page.paPage + 2L * slot, codeGeneration)) {
            // another hart is translating this block: interpret it a little longer, then look for its region
            heat[slot] = (short) Math.max(SHARED_LOOKUP_HEAT + 1, threshold - SHARED_RECHECK_ENTRIES);
            return;
        }
        heat[slot] = DecodedPage.NEVER; // until the translation comes back
        Job job = new Job(page, slot, pc & ~0xfffL, page.generation, codeGeneration);
        if (tuning.background()) {
            startWorker();
            pending++;
            jobs.add(job);
        } else {
            install(translate(job));
        }
    }

    /** Takes the region another hart translated from the same code, if there is one. */
    private boolean installShared(DecodedPage page, int slot) {
        if (!(h.codePages.shared(flavor, page.paPage + 2L * slot) instanceof CompiledRegion r)) return false;
        add(page, r);
        sharedInstalls++;
        return true;
    }

    private Done translate(Job job) {
        if (alreadyCovered(job)) return new Done(job, null, 0, null, true);
        long t0 = System.nanoTime();
        try {
            RegionCompiler.Result r = compiler.translate(job.page, job.slot, job.vpage, log != null);
            return new Done(job, r, System.nanoTime() - t0, null);
        } catch (RuntimeException | LinkageError e) {
            return new Done(job, null, System.nanoTime() - t0, e);
        }
    }

    /**
     * Whether the job's block runs translated already: a region of this hart took its slot while the job
     * waited in the queue, or another hart shared a region that has it as a block start. On a hart starved of
     * CPU (more harts than host cores) the queue grows long, and such jobs were most of what its translator
     * did, all of it thrown away. Read on the translator's thread as well: a stale answer only costs one
     * translation, or delays one.
     */
    private boolean alreadyCovered(Job job) {
        if (job.page.region(job.slot) != null || h.codePages.shared(flavor, job.page.paPage + 2L * job.slot) != null) return true;
        // the translator's own results the hart has not installed yet: the function whose blocks got hot one
        // after another is one region, made once
        int offset = 2 * job.slot;
        for (Made m : recent) {
            if (m.page != job.page || m.generation != job.generation) continue;
            for (int off : m.entryOffsets) if (off == offset) return true;
            for (int off : m.innerOffsets) if (off == offset) return true;
        }
        return false;
    }

    /** Where a region the translator's thread made starts blocks (not the region: that would keep its class alive). */
    private record Made(DecodedPage page, int generation, int[] entryOffsets, int[] innerOffsets) { }
    /** The last regions the translator's thread made (that thread only), for {@link #alreadyCovered}. */
    private final java.util.ArrayDeque<Made> recent = new java.util.ArrayDeque<>();
    private static final int RECENT = 32;

    /** On the translator's thread: remembers a region it made, for {@link #alreadyCovered}. */
    private void made(Done d) {
        if (d.result == null) return;
        if (recent.size() == RECENT) recent.removeFirst();
        CompiledRegion r = d.result.region();
        recent.addLast(new Made(d.job.page, d.job.generation, r.entryOffsets, r.innerOffsets));
    }

    private void startWorker() {
        if (worker != null) return;
        worker = Thread.ofPlatform().daemon(true).name("orrery-translator-hart" + h.cfg.hartId()).start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Done d = translate(jobs.take());
                    made(d);
                    finished.add(d);
                    finishedReady = true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private void installFinished() {
        finishedReady = false;
        Done d;
        while ((d = finished.poll()) != null) {
            pending--;
            install(d);
        }
    }

    private void install(Done d) {
        Job job = d.job;
        translationNanos += d.nanos;
        boolean current = mmu.pages.get(job.page.paPage >>> 12) == job.page && job.page.generation == job.generation;
        if (!current || d.failure != null || d.result == null) h.codePages.unclaim(flavor, job.page.paPage + 2L * job.slot);
        if (!current) {
            discarded++;
            if (job.page.heat != null) job.page.heat[job.slot] = 0;
            return;
        }
        if (d.failure != null) {
            if (firstFailure == null) firstFailure = d.failure;
            if (!tuning.background()) throw new IllegalStateException("translation failed", d.failure);
            return; // the slot stays NEVER: the interpreter runs it
        }
        if (d.skipped || (d.result != null && (job.page.region(job.slot) != null || job.page.insideLoopOfARegion(job.slot)))) {
            // a region installed meanwhile runs this code already (or another hart's will, found through its
            // heat again): HotSpot need not compile it twice
            h.codePages.unclaim(flavor, job.page.paPage + 2L * job.slot);
            discarded++;
            job.page.heat[job.slot] = job.page.region(job.slot) == null && job.page.insideLoopOfARegion(job.slot) ? DecodedPage.COVERED : 0;
            return;
        }
        if (d.result == null) return; // nothing translatable starts here: the slot stays NEVER
        CompiledRegion region = d.result.region();
        add(job.page, region);
        translations++;
        h.codePages.share(flavor, job.page.paPage + 2L * job.slot, job.codeGeneration, region);
        // the other harts find it at any of its block starts, so they do not translate the same loop from another one
        for (int[] offsets : new int[][] {region.entryOffsets, region.innerOffsets})
            for (int off : offsets) {
                long at = job.page.paPage + off;
                if (off != 2 * job.slot && h.codePages.shared(flavor, at) == null) h.codePages.share(flavor, at, job.codeGeneration, region);
            }
        if (log != null && d.result.listing() != null) log.accept(d.result.listing());
    }

    private void add(DecodedPage page, CompiledRegion region) {
        if (codeBytes + region.codeBytes > capacity) {
            evictions += regions;
            flush(mmu.pages);
            h.codePages.forgetShared(); // nothing may keep the dropped code alive
        }
        page.install(region);
        if (page.heat != null) page.heat[region.entrySlot] = 0;
        regions++;
        codeBytes += region.codeBytes;
    }

    /** A store overwrote a region's code. */
    void dropped(CompiledRegion r) {
        regions--;
        codeBytes -= r.codeBytes;
        invalidations++;
    }

    /** Drops every region of every page (FENCE.I, memory map change, reset, or the cap). */
    void flush(PageMap pages) {
        pages.forEach(DecodedPage::discardRegions);
        regions = 0;
        codeBytes = 0;
        flushes++;
    }

    TranslationStatistics statistics() {
        return new TranslationStatistics(regions, codeBytes, capacity, translations, sharedInstalls, translationNanos, pending, discarded,
                entries, interpretedBlocks, translatedInstructions, interpretedInstructions, invalidations, flushes, evictions);
    }

    void close() {
        Thread w = worker;
        if (w == null) return;
        w.interrupt();
        try {
            w.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
