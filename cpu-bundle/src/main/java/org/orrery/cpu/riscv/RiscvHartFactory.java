package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.internal.RiscvHart;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;

/**
 * Creates RISC-V harts. Stateless; one instance may create any number of harts. The environment's
 * acceleration decides the engine: the translator (default) or the interpreter alone.
 */
public final class RiscvHartFactory {
    public Hart create(HartEnvironment env, RiscvConfig config) {
        return new RiscvHart(env, config);
    }
}
