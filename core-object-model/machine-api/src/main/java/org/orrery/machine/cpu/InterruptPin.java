package org.orrery.machine.cpu;

/** The interrupt wires a RISC-V hart exposes to the platform, named by the mip bit they drive. */
public enum InterruptPin {
    /** Machine software interrupt (CLINT msip). */
    MSIP(3),
    /** Machine timer interrupt (CLINT mtimecmp). */
    MTIP(7),
    /** Supervisor external interrupt (PLIC S-mode context). */
    SEIP(9),
    /** Machine external interrupt (PLIC M-mode context). */
    MEIP(11);

    private final int mipBit;

    InterruptPin(int mipBit) { this.mipBit = mipBit; }

    public int mipBit() { return mipBit; }
}
