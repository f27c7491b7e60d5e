package org.orrery.machine.backend;

/** Where a random-number device gets its bytes (an rng-backend object). Called on the machine thread. */
public interface EntropySource {
    /** Fills {@code buffer[offset..offset+length)}; returns how many bytes were available (may be fewer). */
    int fill(byte[] buffer, int offset, int length);
}
