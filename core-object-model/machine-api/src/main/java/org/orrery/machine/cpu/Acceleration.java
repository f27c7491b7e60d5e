package org.orrery.machine.cpu;

import java.util.function.Consumer;

/**
 * How harts execute guest code (QEMU's {@code -accel tcg,...}): translated to host code (the default) or
 * only interpreted, how much memory translated code may hold, how hot code must be before it is translated,
 * and where {@code -d in_asm} writes the guest instructions of each translated region (null: nowhere).
 *
 * @param translate          translate hot guest code to host code; false runs every instruction in the interpreter
 * @param codeCacheSize      the bytes of generated code a hart may hold before it drops it all and starts again
 * @param hotThreshold       times a block is entered before it is translated
 * @param warmupInstructions instructions a hart interprets before lukewarm code is translated: until then only blocks
 *                           many times hotter than {@code hotThreshold} are (a boot runs most of its code a few
 *                           times: there the interpreter is faster than translating)
 * @param translationLog     receives one text block per translated region, or null
 */
public record Acceleration(boolean translate, long codeCacheSize, int hotThreshold, long warmupInstructions,
                           Consumer<String> translationLog) {
    /** QEMU's default translation cache on a 64-bit host is larger; generated JVM code is denser per region. */
    public static final long DEFAULT_CODE_CACHE = 64L << 20;
    public static final int DEFAULT_HOT_THRESHOLD = 500;
    public static final long DEFAULT_WARMUP = 100_000_000L;
    public static final Acceleration DEFAULT = new Acceleration(true, DEFAULT_CODE_CACHE, DEFAULT_HOT_THRESHOLD, DEFAULT_WARMUP, null);
    public static final Acceleration INTERPRETER = new Acceleration(false, DEFAULT_CODE_CACHE, DEFAULT_HOT_THRESHOLD, DEFAULT_WARMUP, null);

    public Acceleration {
        if (codeCacheSize < 1 << 16) throw new IllegalArgumentException("the code cache must hold at least 64 KiB, got " + codeCacheSize);
        if (hotThreshold < 1 || hotThreshold > Short.MAX_VALUE)
            throw new IllegalArgumentException("the hot threshold must be from 1 to " + Short.MAX_VALUE + ", got " + hotThreshold);
        if (warmupInstructions < 0) throw new IllegalArgumentException("the warm-up must not be negative, got " + warmupInstructions);
    }

    public Acceleration withTranslationLog(Consumer<String> log) {
        return new Acceleration(translate, codeCacheSize, hotThreshold, warmupInstructions, log);
    }
}
