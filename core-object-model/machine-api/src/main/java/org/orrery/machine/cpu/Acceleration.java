package org.orrery.machine.cpu;

import java.util.function.Consumer;

/**
 * How harts execute guest code (QEMU's {@code -accel tcg,...}): translated to host code (the default) or
 * only interpreted, how much memory translated code may hold, and where {@code -d in_asm} writes the guest
 * instructions of each translated region (null: nowhere).
 *
 * @param translate     translate hot guest code to host code; false runs every instruction in the interpreter
 * @param codeCacheSize the bytes of generated code a hart may hold before it drops it all and starts again
 * @param translationLog receives one text block per translated region, or null
 */
public record Acceleration(boolean translate, long codeCacheSize, Consumer<String> translationLog) {
    /** QEMU's default translation cache on a 64-bit host is much larger; generated JVM code is denser per region. */
    public static final long DEFAULT_CODE_CACHE = 64L << 20;
    public static final Acceleration DEFAULT = new Acceleration(true, DEFAULT_CODE_CACHE, null);
    public static final Acceleration INTERPRETER = new Acceleration(false, DEFAULT_CODE_CACHE, null);

    public Acceleration {
        if (codeCacheSize < 1 << 16) throw new IllegalArgumentException("the code cache must hold at least 64 KiB, got " + codeCacheSize);
    }

    public Acceleration withTranslationLog(Consumer<String> log) { return new Acceleration(translate, codeCacheSize, log); }
}
