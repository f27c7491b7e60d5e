package org.orrery.machine.irq;

/**
 * A level-triggered interrupt wire, driven by a device and sampled by an interrupt controller or a hart.
 * Implementations are called on the machine thread.
 */
@FunctionalInterface
public interface IrqLine {
    void setLevel(boolean asserted);

    /** A line connected to nothing. */
    IrqLine UNCONNECTED = asserted -> { };

    default void raise() { setLevel(true); }
    default void lower() { setLevel(false); }
}
