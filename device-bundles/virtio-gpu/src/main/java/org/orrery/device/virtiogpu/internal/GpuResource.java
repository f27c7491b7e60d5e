package org.orrery.device.virtiogpu.internal;

/**
 * A 2D resource: the host's copy of a guest image ({@code width} x {@code height} pixels in {@code format}, kept in
 * the guest's byte order) and the guest pages backing it, as the driver attached them.
 */
final class GpuResource {
    final int id;
    final GpuFormat format;
    final int width, height;
    final byte[] pixels;
    /** The backing: guest addresses and lengths of its pieces, in order; null while none is attached. */
    long[] backingAddresses;
    int[] backingLengths;
    long backingSize;

    GpuResource(int id, GpuFormat format, int width, int height) {
        this.id = id;
        this.format = format;
        this.width = width;
        this.height = height;
        this.pixels = new byte[width * height * GpuFormat.BYTES_PER_PIXEL];
    }

    int stride() { return width * GpuFormat.BYTES_PER_PIXEL; }

    /** Whether the rectangle lies inside the resource (no overflow: each value is at most 32 bits, summed in long). */
    boolean contains(long x, long y, long w, long h) { return x + w <= width && y + h <= height; }

    /** Host memory charged for it: the pixels, its backing list and at least a page, so many tiny ones add up too. */
    long cost() {
        long entries = backingAddresses == null ? 0 : backingAddresses.length;
        return Math.max(4096L, pixels.length) + 16 * entries;
    }
}
