package org.orrery.cpu.riscv.internal;

/**
 * How eagerly the translator works: a block start is translated once the interpreter has entered it
 * {@code hotThreshold} times, on a background thread or synchronously (tests, to translate deterministically).
 */
record TranslatorTuning(int hotThreshold, boolean background) {
    static final TranslatorTuning DEFAULT = new TranslatorTuning(Integer.getInteger("xx.threshold", 50), !Boolean.getBoolean("xx.sync"));

    TranslatorTuning {
        if (hotThreshold < 1 || hotThreshold > Short.MAX_VALUE) throw new IllegalArgumentException("hotThreshold " + hotThreshold);
    }
}
