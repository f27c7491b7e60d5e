package org.orrery.cpu.riscv.testing;

/** The execution engine a test machine's hart uses. */
public enum Engine {
    /** The reference interpreter alone. */
    INTERPRETER,
    /** The translator, translating every block start the second time it is entered, synchronously. */
    TRANSLATOR
}
