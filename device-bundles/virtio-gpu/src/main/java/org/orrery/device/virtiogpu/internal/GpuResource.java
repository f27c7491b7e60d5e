package org.orrery.device.virtiogpu.internal;

import org.orrery.machine.memory.AddressSpace;

/**
 * A 2D resource: the host's copy of a guest image ({@code width} x {@code height} pixels in {@code format}, kept in
 * the guest's byte order) and the guest pages backing it, as the driver attached them ({@code backing}, null while
 * none is). Attaching or detaching makes a new resource around the same pixels.
 */
record GpuResource(int id, GpuFormat format, int width, int height, byte[] pixels, Backing backing) {
    /** A new resource, all zeros, with no backing. */
    static GpuResource blank(int id, GpuFormat format, int width, int height) {
        return new GpuResource(id, format, width, height, new byte[width * height * GpuFormat.BYTES_PER_PIXEL], null);
    }

    /** This resource with {@code backing} instead of its own (null: none). */
    GpuResource withBacking(Backing backing) { return new GpuResource(id, format, width, height, pixels, backing); }

    int stride() { return width * GpuFormat.BYTES_PER_PIXEL; }

    /** Whether the rectangle lies inside the resource (no overflow: each value is at most 32 bits, summed in long). */
    boolean contains(long x, long y, long w, long h) { return x + w <= width && y + h <= height; }

    /** Host memory charged for it: the pixels, its backing list and at least a page, so many tiny ones add up too. */
    long cost() {
        long entries = backing == null ? 0 : backing.addresses.length;
        return Math.max(4096L, pixels.length) + 16 * entries;
    }

    /**
     * The guest memory behind a resource: pieces at {@code addresses} of {@code lengths} bytes (unsigned), in order,
     * {@code size} bytes in all.
     */
    record Backing(long[] addresses, int[] lengths, long size) {
        Backing(long[] addresses, int[] lengths) { this(addresses, lengths, total(lengths)); }

        private static long total(int[] lengths) {
            long sum = 0;
            for (int length : lengths) sum += Integer.toUnsignedLong(length);
            return sum;
        }

        /** Copies {@code length} bytes from {@code at} bytes into the backing to {@code dst}, through {@code dma}. */
        void read(AddressSpace dma, long at, byte[] dst, int dstOffset, int length) {
            long skip = at;
            int done = 0;
            for (int i = 0; i < addresses.length && done < length; i++) {
                int len = lengths[i];
                if (skip >= len) { skip -= len; continue; }
                int n = (int) Math.min(len - skip, length - done);
                dma.readBytes(addresses[i] + skip, dst, dstOffset + done, n);
                done += n;
                skip = 0;
            }
        }
    }
}
