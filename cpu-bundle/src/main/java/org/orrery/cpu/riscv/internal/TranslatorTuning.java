package org.orrery.cpu.riscv.internal;

/**
 * How eagerly the translator works. A hart only interprets until it has retired {@code warmup} instructions:
 * a boot runs most of its code a few times, and the interpreter warms up far sooner than translated code pays
 * back its translation and compilation. After that, a block start is translated once the interpreter has
 * entered it {@code hotThreshold} times, on a background thread or synchronously (tests, to translate
 * deterministically).
 */
record TranslatorTuning(int hotThreshold, boolean background, long warmup) {
    static final TranslatorTuning DEFAULT = new TranslatorTuning(Integer.getInteger("xx.threshold", 500), !Boolean.getBoolean("xx.sync"),
            Long.getLong("xx.warmup", 100_000_000L));

    TranslatorTuning {
        if (hotThreshold < 1 || hotThreshold > Short.MAX_VALUE) throw new IllegalArgumentException("hotThreshold " + hotThreshold);
        if (warmup < 0) throw new IllegalArgumentException("warmup " + warmup);
    }
}
