package org.orrery.cpu.riscv.internal;

import org.orrery.machine.cpu.Acceleration;

/**
 * How eagerly the translator works: a block start is translated once the interpreter has entered it
 * {@code hotThreshold} times, on a background thread or synchronously (tests, to translate deterministically).
 * While a hart warms up (until it has interpreted {@code warmup} instructions: a boot runs most of its code a few times, and
 * there the interpreter beats translating) only blocks {@link #WARMUP_FACTOR} times hotter are translated: the
 * loops that pay back their translation even then. Other block starts (a function's entry, the block after a
 * forward branch) must be {@link #WARMUP_FACTOR_NOT_LOOP} times hotter meanwhile: a boot enters many of those
 * some ten thousand times without a loop among them, while a compute job's loop heads get hot as soon as before.
 */
record TranslatorTuning(int hotThreshold, boolean background, long warmup) {
    static final int WARMUP_FACTOR = 20;
    static final int WARMUP_FACTOR_NOT_LOOP = 65;

    TranslatorTuning {
        if (hotThreshold < 1 || hotThreshold > Short.MAX_VALUE) throw new IllegalArgumentException("hotThreshold " + hotThreshold);
        if (warmup < 0) throw new IllegalArgumentException("warmup " + warmup);
    }

    /** The entries that make a block hot during the warm-up: a loop head (entered by a backward branch) or another block. */
    int warmupThreshold(boolean loopHead) {
        return (int) Math.min(Short.MAX_VALUE, (long) hotThreshold * (loopHead ? WARMUP_FACTOR : WARMUP_FACTOR_NOT_LOOP));
    }

    /**
     * The machine's settings: translating in the background, unless time counts instructions (-icount), where
     * which code runs translated must not depend on how fast a background thread was.
     */
    static TranslatorTuning of(Acceleration a, boolean deterministic) {
        return new TranslatorTuning(a.hotThreshold(), !deterministic, a.warmupInstructions());
    }
}
