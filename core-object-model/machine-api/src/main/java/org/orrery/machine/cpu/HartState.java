package org.orrery.machine.cpu;

import java.util.Map;
import java.util.Objects;

/**
 * A hart's architectural state by name (registers, CSRs, its privilege level, whether it waits in WFI),
 * written by one hart and read back by another of the same kind: the hart a returning or updated CPU
 * bundle makes again takes over where the old one stopped. {@code format} names the layout and its version,
 * and what the state is valid for (the ISA); a hart refuses a state it cannot take rather than guess.
 */
public record HartState(String format, Map<String, Long> values) {
    public HartState {
        Objects.requireNonNull(format);
        values = Map.copyOf(values);
    }

    /** The value named {@code name}; a state without it is not one this layout wrote. */
    public long get(String name) {
        Long v = values.get(name);
        if (v == null) throw new IllegalArgumentException("the saved hart state (" + format + ") has no " + name);
        return v;
    }
}
