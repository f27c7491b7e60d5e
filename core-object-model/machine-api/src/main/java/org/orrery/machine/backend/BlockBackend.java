package org.orrery.machine.backend;

import java.nio.ByteBuffer;

/**
 * A block device as devices see it (a drive). I/O runs off the machine thread; completions are
 * delivered on the machine thread. Implemented by backend bundles.
 */
public interface BlockBackend {
    long size();

    boolean isReadOnly();

    /** Reads {@code dst.remaining()} bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst, Completion done);

    /** Writes {@code src.remaining()} bytes at {@code offset}; refused on read-only backends. */
    void write(long offset, ByteBuffer src, Completion done);

    /** Makes every completed write durable (fsync, unless cache mode says otherwise). */
    void flush(Completion done);

    /** Drops the range's contents where the backend can (punching holes); may be a no-op. */
    void discard(long offset, long length, Completion done);

    /** Delivered on the machine thread; {@code error} is null on success. */
    @FunctionalInterface
    interface Completion {
        void completed(Throwable error);
    }
}
