package org.orrery.device.testing;

import org.orrery.machine.memory.AddressSpace;

/**
 * The driver's side of a split virtqueue in guest memory (virtio 1.2, 2.7), for tests that play a virtio
 * driver over any transport: descriptors, the available ring, and virtio-blk request headers.
 */
public final class SplitRing {
    public static final int NEXT = 1, WRITE = 2, INDIRECT = 4;

    private final AddressSpace memory;

    public SplitRing(AddressSpace memory) { this.memory = memory; }

    /** Writes descriptor {@code i} of the table at {@code table}. */
    public void descriptor(long table, int i, long address, int length, int flags, int next) {
        long at = table + 16L * i;
        memory.write(at, 8, address);
        memory.write(at + 8, 4, length);
        memory.write(at + 12, 2, flags);
        memory.write(at + 14, 2, next);
    }

    /** Puts {@code head} in slot {@code index % size} of the available ring at {@code avail} and publishes it. */
    public void offer(long avail, int size, int index, int head) {
        memory.write(avail + 4 + 2L * (index % size), 2, head);
        memory.write(avail + 2, 2, (index + 1) & 0xffff);
    }

    /** A virtio-blk request header (type, reserved, sector) at {@code at}; returns {@code at}. */
    public long blockHeader(long at, int type, long sector) {
        memory.write(at, 4, type);
        memory.write(at + 4, 4, 0);
        memory.write(at + 8, 8, sector);
        return at;
    }
}
