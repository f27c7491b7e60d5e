package org.orrery.backend.chardev.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

/**
 * {@code chardev-ringbuf}: output is kept in a ring of {@code size} bytes (a power of two); when full, the
 * oldest bytes are overwritten. ringbuf-read takes bytes out, ringbuf-write puts bytes in, as in QEMU.
 */
final class RingbufChardev extends Chardev {
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).defaultValue(65536L)
            .description("ring buffer size in bytes, a power of two (default 64 KiB)");

    private byte[] ring;
    private long prod;
    private long cons;

    @Override protected void open() {
        long size = get(SIZE);
        if (size <= 0 || (size & (size - 1)) != 0) throw new QomException("size of ringbuf chardev must be power of two");
        if (size > (1L << 30)) throw new QomException("size of ringbuf chardev must be at most 1 GiB");
        ring = new byte[(int) size];
        prod = 0;
        cons = 0;
    }

    @Override protected void close() { ring = null; }

    @Override String filename() { return "ringbuf"; }

    @Override protected int output(byte[] data, int offset, int length) {
        put(data, offset, length);
        return length;
    }

    /** Appends bytes, overwriting the oldest when the ring is full (machine thread). */
    void put(byte[] data, int offset, int length) {
        int mask = ring.length - 1;
        for (int i = 0; i < length; i++) {
            ring[(int) (prod++ & mask)] = data[offset + i];
            if (prod - cons > ring.length) cons = prod - ring.length;
        }
    }

    /** Takes up to {@code max} bytes (machine thread). */
    byte[] take(int max) {
        int n = (int) Math.min(max, prod - cons);
        byte[] out = new byte[Math.max(n, 0)];
        int mask = ring.length - 1;
        for (int i = 0; i < n; i++) out[i] = ring[(int) (cons++ & mask)];
        return out;
    }

    int count() { return (int) (prod - cons); }
}
