package org.orrery.machine.memory;

/**
 * The callbacks behind a memory-mapped I/O region. Called with the machine's lock held (from a hart's
 * thread, the machine thread or a command's), never by two threads at once, so an implementation needs
 * no locking. Offsets are relative to the region's start; sizes are 1, 2, 4 or 8
 * bytes; values are little-endian and zero-extended to 64 bits.
 */
public interface MmioHandler {
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
