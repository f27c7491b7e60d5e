package org.orrery.cpu.riscv.internal;

import org.orrery.machine.cpu.Acceleration;

/**
 * How eagerly the translator works: a hart only interprets until it has retired {@code warmup} instructions,
 * then a block start is translated once the interpreter has entered it {@code hotThreshold} times, on a
 * background thread or synchronously (tests, to translate deterministically).
 */
record TranslatorTuning(int hotThreshold, boolean background, long warmup) {
    TranslatorTuning {
        if (hotThreshold < 1 || hotThreshold > Short.MAX_VALUE) throw new IllegalArgumentException("hotThreshold " + hotThreshold);
        if (warmup < 0) throw new IllegalArgumentException("warmup " + warmup);
    }

    /** The machine's settings, translating in the background. */
    static TranslatorTuning of(Acceleration a) { return new TranslatorTuning(a.hotThreshold(), true, a.warmupInstructions()); }
}
