package org.orrery.machine.cpu;

/**
 * What a hart's translator (dynamic binary translation to host code) has done since the hart was created,
 * for {@code info jit} and {@code x-query-jit}. Figures are cumulative except where said.
 *
 * @param regions                 translated regions alive now
 * @param codeBytes               bytes of generated code held by those regions now
 * @param capacityBytes           the cap on codeBytes; reaching it evicts every region (the cache is flushed)
 * @param translations            regions translated
 * @param sharedRegions           regions taken from another hart's translation of the same code
 * @param translationNanos        time spent translating (generating and loading code)
 * @param pendingTranslations     translations queued or running in the background now
 * @param discardedTranslations   translations thrown away because their code changed while they were made
 * @param regionEntries           times guest execution entered translated code (cache hits)
 * @param interpretedBlocks       blocks run by the interpreter instead (cache misses: cold or untranslatable code)
 * @param translatedInstructions  guest instructions retired in translated code
 * @param interpretedInstructions guest instructions run by the interpreter
 * @param invalidations           regions dropped because the guest overwrote their code
 * @param flushes                 times all code was dropped (FENCE.I, memory map changes, reset, the cap)
 * @param evictions               regions dropped to keep under the cap
 */
public record TranslationStatistics(long regions, long codeBytes, long capacityBytes, long translations, long sharedRegions,
                                    long translationNanos, long pendingTranslations, long discardedTranslations,
                                    long regionEntries, long interpretedBlocks, long translatedInstructions,
                                    long interpretedInstructions, long invalidations, long flushes, long evictions) {
}
