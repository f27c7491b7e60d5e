package org.orrery.machine.cpu;

/**
 * What a debugger or monitor needs of a hart, independent of its implementation. Called on the machine
 * thread while the hart is not executing.
 */
public interface HartDebug {
    /** The architecture name as gdb knows it, for example "riscv:rv64". */
    String architecture();

    int xlen();

    long pc();

    void setPc(long pc);

    /** Integer register x0..x31. */
    long gpr(int index);

    void setGpr(int index, long value);

    /** Floating-point register f0..f31 as raw bits (NaN-boxed singles included). */
    long fpr(int index);

    void setFpr(int index, long bits);

    /** Reads a CSR by number without side effects on the guest; returns null if it does not exist. */
    Long csr(int number);

    /** Writes a CSR by number as a debugger would (no privilege checks); false if it does not exist. */
    boolean setCsr(int number, long value);

    /** Current privilege level: 0 = U, 1 = S, 3 = M. */
    int privilege();

    /**
     * Reads guest memory through the hart's current view (virtual addresses when translation is on).
     * Returns the number of bytes read; fewer than asked when an address does not translate or is unmapped.
     */
    int readMemory(long address, byte[] dst, int offset, int length);

    /** Writes guest memory through the hart's current view; returns the number of bytes written. */
    int writeMemory(long address, byte[] src, int offset, int length);

    /** Translates a virtual address as a load would, or returns -1 when it does not translate. */
    long translate(long virtualAddress);

    void addBreakpoint(long address);

    void removeBreakpoint(long address);

    /** Kinds of watchpoint: 2 = write, 3 = read, 4 = access (as gdb's Z2..Z4). */
    void addWatchpoint(long address, long length, int kind);

    void removeWatchpoint(long address, long length, int kind);

    long lastWatchpointAddress();

    /** When on, {@link Hart#run(long)} returns {@link StopReason#STEP} after one instruction. */
    void setSingleStep(boolean on);
}
