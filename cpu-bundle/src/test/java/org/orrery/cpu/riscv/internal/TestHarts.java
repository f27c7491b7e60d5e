package org.orrery.cpu.riscv.internal;

import org.orrery.cpu.riscv.testing.TestMachine;

/** Test access to hart settings the public factory does not offer. */
public final class TestHarts {
    private TestHarts() { }

    /**
     * Harts whose translator translates a block start the {@code threshold}-th time it is entered, in the
     * background or synchronously (so tests run nearly all their code translated, deterministically).
     */
    public static TestMachine.HartMaker translator(int threshold, boolean background) {
        TranslatorTuning tuning = new TranslatorTuning(threshold, background, 0);
        return (env, cfg) -> new RiscvHart(env, cfg, tuning);
    }
}
