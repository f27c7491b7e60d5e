package org.orrery.cpu.riscv.internal;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;

/** Test access to hart settings the public factory does not offer. */
public final class TestHarts {
    private TestHarts() { }

    /**
     * A hart whose translator works synchronously and translates a block start the {@code threshold}-th time
     * it is entered, so tests run (nearly) all their code translated, deterministically.
     */
    public static Hart eagerTranslator(HartEnvironment env, RiscvConfig cfg, int threshold) {
        return new RiscvHart(env, cfg, new TranslatorTuning(threshold, false));
    }
}
