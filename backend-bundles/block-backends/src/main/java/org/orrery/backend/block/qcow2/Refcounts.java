package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The refcount table and its blocks: what each host cluster's reference count is, cluster allocation and
 * freeing. Blocks are cached (written back when evicted or flushed); the table is kept in memory and written
 * through. Frees are deferred ({@link #deferFree}) until the caller has written the tables that stopped
 * referring to the clusters, so a crash can leak a cluster but never leave one referenced with a count of 0.
 */
final class Refcounts {
    private final HostFile file;
    private final String name;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    /** Refcount entries per block. */
    final long blockEntries;
    private final long maxRefcount;
    private final boolean barriers;
    private long[] table;
    private long tableOffset;
    private int tableClusters;
    private final Set<Long> blockOffsets = new HashSet<>();
    private final LinkedHashMap<Long, Block> cache = new LinkedHashMap<>(16, 0.75f, true);
    private final int cacheBlocks;
    private long freeHint;
    private final List<long[]> pendingFrees = new ArrayList<>();
    private long pendingFreeClusters;
    /** Called when an allocation needs the header's refcount-table fields rewritten (offset, clusters). */
    private final HeaderWriter header;

    interface HeaderWriter { void refcountTableMoved(long offset, int clusters) throws IOException; }

    private static final class Block {
        final long offset;
        final byte[] data;
        boolean dirty;
        Block(long offset, byte[] data) { this.offset = offset; this.data = data; }
    }

    Refcounts(HostFile file, String name, Qcow2Header h, boolean barriers, int cacheBytes, HeaderWriter header) throws IOException {
        this.file = file;
        this.name = name;
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder;
        this.blockEntries = (long) clusterSize * 8 >> order;
        this.maxRefcount = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        this.barriers = barriers;
        this.header = header;
        this.cacheBlocks = Math.max(4, cacheBytes / clusterSize);
        this.tableOffset = h.refcountTableOffset;
        this.tableClusters = h.refcountTableClusters;
        int entries = (int) ((long) tableClusters * clusterSize / 8);
        ByteBuffer t = ByteBuffer.allocate(entries * 8);
        file.read(tableOffset, t);
        t.flip();
        table = new long[entries];
        long fileLength = file.length();
        for (int i = 0; i < entries; i++) {
            long e = t.getLong();
            if ((e & 0x1ff) != 0 || (e & (clusterSize - 1)) != 0 || e < 0)
                throw new ImageException("Could not open '" + name + "': refcount block " + i + " offset 0x" + Long.toHexString(e) + " is invalid (unaligned)");
            if (e >= fileLength && e != 0)
                throw new ImageException("Could not open '" + name + "': refcount block " + i + " offset 0x" + Long.toHexString(e) + " is past the end of the file");
            if (e == 0) continue;
            if (e >> clusterBits == 0 || (e >= tableOffset && e < tableOffset + (long) tableClusters * clusterSize))
                throw new ImageException("Could not open '" + name + "': refcount block " + i + " points into the " + (e >> clusterBits == 0 ? "image header" : "refcount table") + " (a loop in the tables)");
            if (!blockOffsets.add(e))
                throw new ImageException("Could not open '" + name + "': refcount block 0x" + Long.toHexString(e) + " is used twice in the refcount table (a loop)");
            table[i] = e;
        }
    }

    long tableOffset() { return tableOffset; }
    int tableClusters() { return tableClusters; }
    boolean isBlock(long offset) { return blockOffsets.contains(offset); }

    /** The reference count of the host cluster at {@code index}. */
    long get(long index) throws IOException {
        long t = index / blockEntries;
        if (t >= table.length || table[(int) t] == 0) return 0;
        Block b = block((int) t);
        return entry(b.data, index % blockEntries);
    }

    private long entry(byte[] d, long i) { return entry(d, i, order); }

    private void setEntry(byte[] d, long i, long v) { setEntry(d, i, v, order); }

    /** The {@code i}th count in a block of {@code 2^order}-bit counts (big-endian; narrow ones from the low bit). */
    static long entry(byte[] d, long i, int order) {
        int w = 1 << order;
        if (w >= 8) {
            int bytes = w / 8;
            int at = (int) (i * bytes);
            long v = 0;
            for (int k = 0; k < bytes; k++) v = v << 8 | (d[at + k] & 0xff);
            return v;
        }
        long bit = i * w;
        return (d[(int) (bit >>> 3)] >>> (bit & 7)) & ((1 << w) - 1);
    }

    static void setEntry(byte[] d, long i, long v, int order) {
        int w = 1 << order;
        if (w >= 8) {
            int bytes = w / 8;
            int at = (int) (i * bytes);
            for (int k = bytes - 1; k >= 0; k--) { d[at + k] = (byte) v; v >>>= 8; }
            return;
        }
        long bit = i * w;
        int at = (int) (bit >>> 3), shift = (int) (bit & 7), mask = ((1 << w) - 1) << shift;
        d[at] = (byte) ((d[at] & ~mask) | ((int) v << shift & mask));
    }

    private Block block(int t) throws IOException {
        Block b = cache.get((long) t);
        if (b != null) return b;
        long off = table[t];
        byte[] d = new byte[clusterSize];
        file.read(off, ByteBuffer.wrap(d));
        b = new Block(off, d);
        put(t, b);
        return b;
    }

    private void put(long t, Block b) throws IOException {
        cache.put(t, b);
        if (cache.size() > cacheBlocks) {
            Iterator<Map.Entry<Long, Block>> it = cache.entrySet().iterator();
            Map.Entry<Long, Block> eldest = it.next();
            if (eldest.getValue() != b) {
                writeBack(eldest.getValue());
                it.remove();
            }
        }
    }

    private void writeBack(Block b) throws IOException {
        if (!b.dirty) return;
        file.write(b.offset, ByteBuffer.wrap(b.data));
        b.dirty = false;
    }

    /** Adds {@code delta} to the count of the host cluster at {@code index}; creates its block if needed. */
    void add(long index, long delta) throws IOException {
        long t = index / blockEntries;
        ensureBlock(t);
        Block b = block((int) t);
        long v = entry(b.data, index % blockEntries) + delta;
        if (v < 0) throw new ImageException("'" + name + "': refcount of cluster 0x" + Long.toHexString(index << clusterBits) + " would drop below 0 (the image is corrupt)");
        if (Long.compareUnsigned(v, maxRefcount) > 0) throw new ImageException("'" + name + "': refcount of cluster 0x" + Long.toHexString(index << clusterBits) + " overflows its " + (1 << order) + " bits");
        setEntry(b.data, index % blockEntries, v);
        b.dirty = true;
        if (v == 0 && index < freeHint) freeHint = index;
    }

    /** Allocates {@code n} contiguous host clusters (count 1 each) and returns the first one's offset. */
    long allocate(int n) throws IOException {
        while (true) {
            long start = findFree(n);
            for (long t = start / blockEntries; t <= (start + n - 1) / blockEntries; t++) ensureBlock(t);
            boolean stillFree = true;
            for (long c = start; c < start + n && stillFree; c++) stillFree = get(c) == 0;
            if (!stillFree) continue;  // a new refcount block took one of them: look again
            for (long c = start; c < start + n; c++) add(c, 1);
            freeHint = start + n;
            return start << clusterBits;
        }
    }

    private long findFree(int n) throws IOException {
        long c = Math.max(freeHint, 1);
        long run = 0;
        while (true) {
            long t = c / blockEntries;
            if (run == 0 && (t >= table.length || table[(int) t] == 0)) return c; // a region without a block is all free
            if (get(c) == 0) {
                if (++run == n) return c - n + 1;
            } else {
                run = 0;
            }
            c++;
        }
    }

    /** Makes sure the block for region {@code t} exists: a new one describes itself from its region's first cluster. */
    private void ensureBlock(long t) throws IOException {
        if (t >= table.length) growTable(t);
        if (table[(int) t] != 0) return;
        long cluster = t * blockEntries;
        Block b = new Block(cluster << clusterBits, new byte[clusterSize]);
        setEntry(b.data, 0, 1);
        b.dirty = true;
        writeBack(b);
        barrier();
        table[(int) t] = b.offset;
        blockOffsets.add(b.offset);
        file.write(tableOffset + t * 8, ByteBuffer.allocate(8).putLong(0, b.offset));
        put(t, b);
    }

    /**
     * Moves the refcount table to a larger one placed, with the blocks describing it, at the start of the first
     * region the old table did not cover (all free), then frees the old table.
     */
    private void growTable(long needed) throws IOException {
        long oldLen = table.length;
        long region = oldLen;
        long newLen = Math.max(needed + 1, oldLen + oldLen / 2 + 1);
        long m, k;
        while (true) {
            k = (newLen * 8 + clusterSize - 1) / clusterSize;
            m = 0;
            while (m + 1 + k > (m + 1) * blockEntries) m++;
            if (newLen >= region + m + 1) break;
            newLen = region + m + 1;
        }
        newLen = k * clusterSize / 8;
        if (k * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES)
            throw new ImageException("'" + name + "': the refcount table would exceed " + (Qcow2Header.MAX_REFCOUNT_TABLE_BYTES >> 20) + " MiB; the image cannot grow further");
        long first = region * blockEntries;  // first cluster of the new structures
        long[] next = java.util.Arrays.copyOf(table, (int) newLen);
        List<Block> made = new ArrayList<>();
        for (long j = 0; j <= m; j++) {
            Block b = new Block((first + j) << clusterBits, new byte[clusterSize]);
            made.add(b);
            next[(int) (region + j)] = b.offset;
        }
        for (long c = first; c < first + m + 1 + k; c++) {
            Block b = made.get((int) (c / blockEntries - region));
            setEntry(b.data, c % blockEntries, 1);
        }
        for (Block b : made) { b.dirty = true; writeBack(b); }
        long newOffset = (first + m + 1) << clusterBits;
        ByteBuffer t = ByteBuffer.allocate((int) (k * clusterSize));
        for (long e : next) t.putLong(e);
        t.flip();
        file.write(newOffset, t);
        barrier();
        long oldOffset = tableOffset;
        int oldClusters = tableClusters;
        header.refcountTableMoved(newOffset, (int) k);
        barrier();
        table = next;
        tableOffset = newOffset;
        tableClusters = (int) k;
        for (int j = 0; j < made.size(); j++) {
            blockOffsets.add(made.get(j).offset);
            put(region + j, made.get(j));
        }
        for (int c = 0; c < oldClusters; c++) add((oldOffset >> clusterBits) + c, -1);
    }

    /** Queues a decrement for every host cluster overlapping {@code [offset, offset+bytes)}; see {@link #applyFrees}. */
    void deferFree(long offset, long bytes) {
        pendingFrees.add(new long[] {offset, bytes});
        pendingFreeClusters += (bytes + clusterSize - 1) >> clusterBits;
    }

    long pendingFreeClusters() { return pendingFreeClusters; }

    /** Applies queued frees; call only once the tables that referred to those clusters are written. */
    void applyFrees() throws IOException {
        for (long[] f : pendingFrees) {
            long first = f[0] >> clusterBits, last = (f[0] + f[1] - 1) >> clusterBits;
            for (long c = first; c <= last; c++) add(c, -1);
        }
        pendingFrees.clear();
        pendingFreeClusters = 0;
    }

    boolean hasDirty() {
        for (Block b : cache.values()) if (b.dirty) return true;
        return false;
    }

    /** Writes every dirty block (no sync). */
    void writeDirty() throws IOException {
        for (Block b : cache.values()) writeBack(b);
    }

    /** Orders earlier writes before later ones on the disk (a sync), unless flushes are off. */
    void barrier() throws IOException {
        if (barriers) file.flush();
    }

    /** The highest host cluster index with a non-zero count, plus one (for truncation and statistics). */
    long endOfAllocated() throws IOException {
        for (long t = table.length - 1; t >= 0; t--) {
            if (table[(int) t] == 0) continue;
            Block b = block((int) t);
            for (long i = blockEntries - 1; i >= 0; i--) if (entry(b.data, i) != 0) return t * blockEntries + i + 1;
        }
        return 0;
    }
}
