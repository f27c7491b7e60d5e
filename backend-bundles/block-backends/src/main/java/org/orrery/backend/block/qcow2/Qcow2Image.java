package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Logger;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * An open qcow2 image (versions 2 and 3): guest reads and writes mapped through the L1 and L2 tables,
 * allocation through {@link Refcounts}, compressed (deflate) and zero clusters, a backing image, internal
 * snapshots kept intact (shared clusters are copied on write).
 *
 * <p>Concurrency: reads and writes into clusters the image owns alone run under the read lock, side by side;
 * anything that changes metadata (allocation, flush, resize) holds the write lock.
 *
 * <p>Crash safety (SIGKILL or power loss at any point leaves an image {@code qemu-img check -r} repairs by
 * dropping leaked clusters at worst): a refcount reaches the disk before any table entry that points to its
 * cluster (refcounts are written, then a barrier, then L2 tables; L1 entries are written only after the L2
 * table they point to); a decrement reaches the disk only after the tables that stopped referring to the
 * cluster. With lazy refcounts the image is marked dirty instead and its refcounts are rebuilt when next opened.
 */
public final class Qcow2Image implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Qcow2Image.class.getName());
    static final long L1_OFFSET_MASK = 0x00fffffffffffe00L;
    static final long L2_OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    /** Frees queued beyond this many clusters force a metadata write, so the queue stays small. */
    private static final long MAX_PENDING_FREES = 4096;

    private final HostFile file;
    private final String name;
    private final Qcow2Header header;
    private final boolean readOnly;
    private final BackingImage backing;
    private final int clusterBits;
    private final int clusterSize;
    private final long l2Entries;
    private final int compressedShift;
    private final long compressedSectorMask;
    private volatile long size;
    private long[] l1;
    private long l1Offset;
    private Refcounts refcounts;
    private SnapshotTable snapshots;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final L2Cache l2cache;
    private final Set<Long> l2Offsets = new HashSet<>();
    /** Clusters of the snapshots' L1 tables (first to last, merged), which data must never overwrite. */
    private final java.util.TreeMap<Long, Long> snapshotL1Clusters = new java.util.TreeMap<>();
    private final boolean lazyRefcounts;
    private boolean markedDirty;
    private boolean corruptionReported;
    private boolean closed;

    /** Options for opening; the defaults are QEMU's. */
    public record Options(boolean readOnly, boolean barriers, long l2CacheBytes, int refcountCacheBytes, Boolean lazyRefcounts) {
        public static Options defaults(boolean readOnly) { return new Options(readOnly, true, -1, -1, null); }
    }

    private Qcow2Image(HostFile file, String name, Qcow2Header h, Options o, BackingImage backing) throws IOException {
        this.file = file;
        this.name = name;
        this.header = h;
        this.backing = backing;
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.l2Entries = clusterSize / 8;
        this.compressedShift = 62 - (clusterBits - 8);
        this.compressedSectorMask = (1L << (clusterBits - 8)) - 1;
        this.size = h.size;
        this.l1Offset = h.l1TableOffset;
        boolean ro = o.readOnly();
        if (h.corrupt() && !ro)
            throw new ImageException("Could not open '" + name + "': the image is marked corrupt and cannot be opened read/write (qemu-img check -r all repairs it)");
        this.readOnly = ro;
        this.lazyRefcounts = o.lazyRefcounts() != null ? o.lazyRefcounts() : h.lazyRefcounts();
        if (lazyRefcounts && h.version < 3) throw new ImageException("Could not open '" + name + "': lazy refcounts need a version 3 (compat=1.1) image");
        long fileLength = file.length();
        l1 = readL1(h.l1TableOffset, h.l1Size, fileLength, "Active L1 table");
        snapshots = h.nbSnapshots > 0 ? SnapshotTable.read(file, h, name, fileLength) : SnapshotTable.empty();
        int rcCache = o.refcountCacheBytes() >= 0 ? o.refcountCacheBytes() : Math.max(4 * clusterSize, 256 << 10);
        refcounts = new Refcounts(file, name, h, o.barriers(), rcCache, this::writeRefcountTableFields);
        long virtualL2Tables = Math.max(1, Qcow2Header.l1EntriesFor(size, clusterBits));
        long l2Bytes = o.l2CacheBytes() >= 0 ? o.l2CacheBytes() : Math.min(virtualL2Tables * clusterSize, 32L << 20);
        l2cache = new L2Cache((int) Math.max(2, Math.min(l2Bytes / clusterSize, Integer.MAX_VALUE)));
        checkStructure(fileLength);
        if (!ro) openForWriting();
    }

    /** Opens the image in {@code file}; {@code backing} is null when it has none (or it is not wanted). */
    public static Qcow2Image open(HostFile file, String name, Options options, BackingImage backing) throws IOException {
        long length = file.length();
        ByteBuffer first = ByteBuffer.allocate((int) Math.min(Math.max(length, 0), 1 << Qcow2Header.MAX_CLUSTER_BITS));
        file.read(0, first);
        first.flip();
        Qcow2Header h = Qcow2Header.parse(first, length, name);
        return new Qcow2Image(file, name, h, options, backing);
    }

    /** Reads the header alone (to learn the backing file before opening). */
    public static Qcow2Header probe(HostFile file, String name) throws IOException {
        long length = file.length();
        ByteBuffer first = ByteBuffer.allocate((int) Math.min(Math.max(length, 0), 1 << Qcow2Header.MAX_CLUSTER_BITS));
        file.read(0, first);
        first.flip();
        return Qcow2Header.parse(first, length, name);
    }

    public Qcow2Header header() { return header; }
    public long size() { return size; }
    public int clusterSize() { return clusterSize; }
    public boolean isReadOnly() { return readOnly; }
    public List<SnapshotTable.Snapshot> snapshots() { return snapshots.entries(); }
    public boolean dirty() { return markedDirty; }

    private long[] readL1(long offset, int entries, long fileLength, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(entries * 8);
        file.read(offset, b);
        b.flip();
        long[] t = new long[entries];
        for (int i = 0; i < entries; i++) {
            long e = b.getLong();
            long off = e & L1_OFFSET_MASK;
            if (off != 0 && ((off & (clusterSize - 1)) != 0 || off >= fileLength))
                throw new ImageException("Could not open '" + name + "': " + what + " entry " + i + " points to an invalid L2 table offset 0x" + Long.toHexString(off));
            t[i] = e;
        }
        return t;
    }

    /** Refuses tables that point into the header or into each other (loops), which no writer produces. */
    private void checkStructure(long fileLength) throws ImageException {
        indexSnapshotL1s();
        for (int i = 0; i < l1.length; i++) {
            long off = l1[i] & L1_OFFSET_MASK;
            if (off == 0) continue;
            String what = metadataAt(off);
            if (what != null) throw new ImageException("Could not open '" + name + "': L1 entry " + i + " points into the " + what + " (a loop in the tables)");
            l2Offsets.add(off);
        }
        String rt = metadataAt(refcounts.tableOffset());
        if (rt != null && !rt.equals("refcount table"))
            throw new ImageException("Could not open '" + name + "': the refcount table overlaps the " + rt);
    }

    /** Rebuilds the index of the clusters the snapshots' L1 tables occupy. */
    void indexSnapshotL1s() {
        snapshotL1Clusters.clear();
        for (SnapshotTable.Snapshot sn : snapshots.entries()) {
            if (sn.l1Size() == 0) continue;
            long first = sn.l1Offset() >> clusterBits, last = (sn.l1Offset() + sn.l1Size() * 8L - 1) >> clusterBits;
            Map.Entry<Long, Long> before = snapshotL1Clusters.floorEntry(first);
            if (before != null && before.getValue() >= first) {
                first = before.getKey();
                last = Math.max(last, before.getValue());
            }
            snapshotL1Clusters.put(first, last);
        }
    }

    /** What fixed metadata lies in the cluster at {@code off}, or null. */
    private String metadataAt(long off) {
        long c = off >> clusterBits;
        if (c == 0) return "image header";
        if (inRange(c, l1Offset, l1.length * 8L)) return "active L1 table";
        if (inRange(c, refcounts.tableOffset(), (long) refcounts.tableClusters() * clusterSize)) return "refcount table";
        if (refcounts.isBlock(off & ~(long) (clusterSize - 1))) return "refcount block";
        if (header.nbSnapshots > 0 && inRange(c, header.snapshotsOffset, 40L * header.nbSnapshots)) return "snapshot table";
        Map.Entry<Long, Long> snapshotL1 = snapshotL1Clusters.floorEntry(c);
        if (snapshotL1 != null && snapshotL1.getValue() >= c) return "L1 table of a snapshot";
        return null;
    }

    private boolean inRange(long cluster, long offset, long bytes) {
        if (bytes <= 0) return false;
        long first = offset >> clusterBits, last = (offset + bytes - 1) >> clusterBits;
        return cluster >= first && cluster <= last;
    }

    private void openForWriting() throws IOException {
        if (header.dirty()) {
            LOG.warning("'" + name + "' was not closed cleanly (dirty bit set); rebuilding its refcounts");
            List<long[]> l1s = new ArrayList<>();
            l1s.add(l1);
            for (SnapshotTable.Snapshot sn : snapshots.entries()) l1s.add(readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table"));
            new RefcountRebuild(file, name, header, l1Offset, l1.length, snapshots).rebuild(l1s, this::writeRefcountTableFields);
            refcounts = new Refcounts(file, name, header, true, Math.max(4 * clusterSize, 256 << 10), this::writeRefcountTableFields);
            header.incompatible &= ~Qcow2Header.INCOMPAT_DIRTY;
            writeHeaderLong(Qcow2Header.OFF_INCOMPATIBLE, header.incompatible);
            file.flush();
        }
        if (header.version >= 3 && header.autoclear != 0) {
            // bits we do not maintain (bitmaps) must be cleared before writing, so readers know they are stale
            header.autoclear = 0;
            writeHeaderLong(Qcow2Header.OFF_AUTOCLEAR, 0);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // reads

    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        long pos = offset;
        lock.readLock().lock();
        try {
            checkOpen();
            while (dst.hasRemaining()) {
                int inCluster = (int) (pos & (clusterSize - 1));
                int n = (int) Math.min(dst.remaining(), clusterSize - inCluster);
                ByteBuffer part = dst.slice(dst.position(), n);
                long entry = l2Entry(pos >> clusterBits);
                readCluster(pos, entry, inCluster, part);
                dst.position(dst.position() + n);
                pos += n;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private void readCluster(long guestPos, long entry, int inCluster, ByteBuffer part) throws IOException {
        if ((entry & COMPRESSED) != 0) {
            byte[] c = decompress(entry);
            part.put(c, inCluster, part.remaining());
        } else if ((entry & ZERO) != 0 && header.version >= 3) {
            zero(part);
        } else if ((entry & L2_OFFSET_MASK) != 0) {
            file.read((entry & L2_OFFSET_MASK) + inCluster, part);
        } else {
            readBelow(guestPos, part);
        }
    }

    /** What the backing image holds there (zeros past its end or without one). */
    private void readBelow(long guestPos, ByteBuffer part) throws IOException {
        if (backing == null || guestPos >= backing.size()) {
            zero(part);
            return;
        }
        long inBacking = Math.min(part.remaining(), backing.size() - guestPos);
        ByteBuffer b = part.slice(part.position(), (int) inBacking);
        backing.read(guestPos, b);
        part.position(part.position() + (int) inBacking);
        zero(part);
    }

    private static void zero(ByteBuffer b) {
        while (b.hasRemaining()) b.put((byte) 0);
    }

    private byte[] decompress(long entry) throws IOException {
        long host = entry & ((1L << compressedShift) - 1);
        long sectors = ((entry >>> compressedShift) & compressedSectorMask) + 1;
        long bytes = sectors * 512 - (host & 511);
        long fileLength = file.length();
        if (host >= fileLength) throw corruption("compressed cluster at 0x" + Long.toHexString(host) + " is past the end of the file");
        ByteBuffer in = ByteBuffer.allocate((int) Math.min(bytes, fileLength - host));
        file.read(host, in);
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(in.array(), 0, in.position());
            byte[] out = new byte[clusterSize];
            int got = 0;
            while (got < clusterSize) {
                int n = inflater.inflate(out, got, clusterSize - got);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) break;
                got += n;
            }
            if (got != clusterSize) throw corruption("compressed cluster at 0x" + Long.toHexString(host) + " decompresses to " + got + " bytes, not " + clusterSize);
            return out;
        } catch (DataFormatException e) {
            throw corruption("compressed cluster at 0x" + Long.toHexString(host) + " is not valid deflate data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // writes

    public void write(long offset, ByteBuffer src) throws IOException {
        checkRange(offset, src.remaining());
        checkWritable();
        long pos = offset;
        while (src.hasRemaining()) {
            int inCluster = (int) (pos & (clusterSize - 1));
            int n = (int) Math.min(src.remaining(), clusterSize - inCluster);
            ByteBuffer part = src.slice(src.position(), n);
            if (!writeInPlace(pos, inCluster, part)) writeAllocating(pos, inCluster, part);
            src.position(src.position() + n);
            pos += n;
        }
    }

    /** A write into a cluster this image owns alone: no metadata changes, under the read lock. */
    private boolean writeInPlace(long pos, int inCluster, ByteBuffer part) throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            long entry = l2Entry(pos >> clusterBits);
            if ((entry & COPIED) == 0 || (entry & (COMPRESSED | ZERO)) != 0) return false;
            long host = entry & L2_OFFSET_MASK;
            if (host == 0) return false;
            checkDataTarget(host);
            file.write(host + inCluster, part.duplicate());
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    private void checkDataTarget(long host) throws IOException {
        String what = metadataAt(host);
        if (what == null && l2Offsets.contains(host)) what = "an L2 table";
        if (what != null) throw corruption("a data cluster at 0x" + Long.toHexString(host) + " overlaps the " + what);
    }

    private void writeAllocating(long pos, int inCluster, ByteBuffer part) throws IOException {
        lock.writeLock().lock();
        try {
            checkOpen();
            long guestCluster = pos >> clusterBits;
            L2Table t = l2ForWrite(guestCluster);
            int index = (int) (guestCluster % l2Entries);
            long entry = t.entries[index];
            if ((entry & COPIED) != 0 && (entry & (COMPRESSED | ZERO)) == 0 && (entry & L2_OFFSET_MASK) != 0) {
                long host = entry & L2_OFFSET_MASK;
                checkDataTarget(host);
                file.write(host + inCluster, part.duplicate());
                return;
            }
            markDirtyIfLazy();
            long clusterStart = guestCluster << clusterBits;
            int clusterBytes = (int) Math.min(clusterSize, roundUp(size, 512) - clusterStart);
            long host = refcounts.allocate(1);
            if (l2Offsets.contains(host)) throw corruption("a newly allocated cluster 0x" + Long.toHexString(host) + " is in use as an L2 table");
            boolean readsAsZeros = (entry & COMPRESSED) == 0 && ((entry & ZERO) != 0 && header.version >= 3
                    || (entry & L2_OFFSET_MASK) == 0 && (backing == null || clusterStart >= backing.size()));
            if (readsAsZeros && host >= file.length()) {
                // a new cluster past the end of the file reads as zeros already: only the guest's bytes need writing
                file.write(host + inCluster, part.duplicate());
            } else {
                // the cluster's new contents: what it read as before, with this write laid over it
                ByteBuffer whole = ByteBuffer.allocate(clusterBytes);
                if (part.remaining() < clusterBytes) readCluster(clusterStart, entry, 0, whole.duplicate());
                whole.put(inCluster, part.duplicate(), part.position(), part.remaining());
                file.write(host, whole);
            }
            t.entries[index] = host | COPIED;
            t.dirty = true;
            release(entry);
            if (refcounts.pendingFreeClusters() > MAX_PENDING_FREES) writeMetadata();
            l2cache.trim();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static long roundUp(long v, long to) { return (v + to - 1) / to * to; }

    /** Queues the release of what an L2 entry referred to, once the new entry is written. */
    private void release(long entry) {
        if ((entry & COMPRESSED) != 0) {
            long host = entry & ((1L << compressedShift) - 1);
            long sectors = ((entry >>> compressedShift) & compressedSectorMask) + 1;
            long start = host & ~511L;
            refcounts.deferFree(start, sectors * 512);
        } else if ((entry & L2_OFFSET_MASK) != 0) {
            refcounts.deferFree(entry & L2_OFFSET_MASK, clusterSize);
        }
    }

    private void markDirtyIfLazy() throws IOException {
        if (!lazyRefcounts || markedDirty) return;
        header.incompatible |= Qcow2Header.INCOMPAT_DIRTY;
        writeHeaderLong(Qcow2Header.OFF_INCOMPATIBLE, header.incompatible);
        file.flush();
        markedDirty = true;
    }

    /** Discards whole clusters in the range: they read as zeros afterwards (or from the backing image when there is none). */
    public void discard(long offset, long length) throws IOException {
        checkRange(offset, length);
        checkWritable();
        long first = (offset + clusterSize - 1) >> clusterBits;
        long end = Math.min(offset + length, size);
        long last = end == size ? (end + clusterSize - 1 >> clusterBits) : end >> clusterBits; // exclusive
        lock.writeLock().lock();
        try {
            checkOpen();
            for (long c = first; c < last; c++) {
                long entry = l2Entry(c);
                if (entry == 0 && backing == null) continue;
                if ((entry & ZERO) != 0 && (entry & L2_OFFSET_MASK) == 0) continue;
                L2Table t = l2ForWrite(c);
                int index = (int) (c % l2Entries);
                long old = t.entries[index];
                // with a backing image (or on version 2, which has no zero flag) the cluster must not show what lies below
                long replacement;
                if (backing == null) replacement = 0;
                else if (header.version >= 3) replacement = ZERO;
                else continue;
                markDirtyIfLazy();
                t.entries[index] = replacement;
                t.dirty = true;
                release(old);
            }
            writeMetadata();
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // tables

    private final class L2Table {
        final long offset;
        final long[] entries;
        boolean dirty;
        L2Table(long offset, long[] entries) { this.offset = offset; this.entries = entries; }
    }

    /** L2 tables by offset, least recently used first; dirty tables are written back only by writers. */
    private final class L2Cache {
        private final int capacity;
        private final LinkedHashMap<Long, L2Table> tables = new LinkedHashMap<>(64, 0.75f, true);

        L2Cache(int capacity) { this.capacity = capacity; }

        synchronized L2Table get(long offset) throws IOException {
            L2Table t = tables.get(offset);
            if (t != null) return t;
            ByteBuffer b = ByteBuffer.allocate(clusterSize);
            file.read(offset, b);
            b.flip();
            long[] e = new long[(int) l2Entries];
            for (int i = 0; i < e.length; i++) e[i] = b.getLong();
            t = new L2Table(offset, e);
            tables.put(offset, t);
            if (tables.size() > capacity) {
                // readers evict clean tables only; writers trim the rest
                Iterator<L2Table> it = tables.values().iterator();
                while (it.hasNext() && tables.size() > capacity) {
                    L2Table v = it.next();
                    if (!v.dirty && v != t) it.remove();
                }
            }
            return t;
        }

        synchronized void add(L2Table t) { tables.put(t.offset, t); }

        /** Forgets every table (call only when none is dirty). */
        synchronized void clear() { tables.clear(); }

        synchronized void remove(long offset) { tables.remove(offset); }

        synchronized List<L2Table> dirty() {
            List<L2Table> out = new ArrayList<>();
            for (L2Table t : tables.values()) if (t.dirty) out.add(t);
            return out;
        }

        /** Writes back and drops least recently used tables over capacity (write lock held). */
        synchronized void trim() throws IOException {
            if (tables.size() <= capacity) return;
            boolean refcountsWritten = false;
            Iterator<L2Table> it = tables.values().iterator();
            while (it.hasNext() && tables.size() > capacity) {
                L2Table v = it.next();
                if (v.dirty) {
                    if (!refcountsWritten && !lazyRefcounts) {
                        refcounts.writeDirty();
                        refcounts.barrier();
                        refcountsWritten = true;
                    }
                    writeTable(v);
                }
                it.remove();
            }
        }
    }

    private void writeTable(L2Table t) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        for (long e : t.entries) b.putLong(e);
        b.flip();
        file.write(t.offset, b);
        t.dirty = false;
    }

    /** The L2 entry for a guest cluster (0 where no L2 table exists). */
    private long l2Entry(long guestCluster) throws IOException {
        int l1Index = (int) (guestCluster / l2Entries);
        if (l1Index >= l1.length) return 0;
        long l2 = l1[l1Index] & L1_OFFSET_MASK;
        if (l2 == 0) return 0;
        L2Table t = l2cache.get(l2);
        long e = t.entries[(int) (guestCluster % l2Entries)];
        validateEntry(e, guestCluster);
        return e;
    }

    private void validateEntry(long e, long guestCluster) throws IOException {
        if ((e & COMPRESSED) != 0) {
            if ((e & COPIED) != 0) throw corruption("compressed cluster entry for guest offset 0x" + Long.toHexString(guestCluster << clusterBits) + " has the copied flag");
            return;
        }
        long host = e & L2_OFFSET_MASK;
        if ((host & (clusterSize - 1)) != 0)
            throw corruption("cluster for guest offset 0x" + Long.toHexString(guestCluster << clusterBits) + " at host offset 0x" + Long.toHexString(host) + " is unaligned");
    }

    /** The L2 table for a guest cluster, made writable: created if missing, copied if shared with a snapshot. */
    private L2Table l2ForWrite(long guestCluster) throws IOException {
        int l1Index = (int) (guestCluster / l2Entries);
        long l1e = l1[l1Index];
        long old = l1e & L1_OFFSET_MASK;
        if (old != 0 && (l1e & COPIED) != 0) return l2cache.get(old);
        markDirtyIfLazy();
        long[] entries = old == 0 ? new long[(int) l2Entries] : l2cache.get(old).entries.clone();
        long offset = refcounts.allocate(1);
        L2Table t = new L2Table(offset, entries);
        writeTable(t);                     // the table's contents, then its refcount, then the L1 entry
        if (!lazyRefcounts) {
            refcounts.writeDirty();
            refcounts.barrier();
        }
        l1[l1Index] = offset | COPIED;
        file.write(l1Offset + l1Index * 8L, ByteBuffer.allocate(8).putLong(0, l1[l1Index]));
        l2Offsets.add(offset);
        l2cache.add(t);
        if (old != 0) {
            // the old table stays with the snapshot that shares it; its count drops once the L1 entry is on disk
            l2cache.remove(old);
            refcounts.deferFree(old, clusterSize);
        }
        return t;
    }

    /** Writes every metadata change, in the order that keeps the image consistent on disk (no final sync). */
    private void writeMetadata() throws IOException {
        List<L2Table> dirty = l2cache.dirty();
        if (!lazyRefcounts && refcounts.hasDirty() && !dirty.isEmpty()) {
            refcounts.writeDirty();
            refcounts.barrier();
        }
        for (L2Table t : dirty) writeTable(t);
        if (refcounts.pendingFreeClusters() > 0) {
            refcounts.barrier();
            refcounts.applyFrees();
        }
        refcounts.writeDirty();
    }

    /** Makes every completed write durable. */
    public void flush() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed || readOnly) return;
            if (corruptionReported) throw new ImageException("'" + name + "' is corrupt; its metadata is not written back");
            writeMetadata();
            file.flush();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Grows the virtual disk (shrinking is refused). */
    public void resize(long newSize) throws IOException {
        checkWritable();
        if (newSize < 0 || newSize % 512 != 0) throw new ImageException("'" + name + "': the new size must be a multiple of 512");
        lock.writeLock().lock();
        try {
            checkOpen();
            if (newSize < size) throw new ImageException("'" + name + "': qcow2 images cannot be shrunk here");
            if (!snapshots.entries().isEmpty() && header.version < 3) throw new ImageException("'" + name + "': cannot resize a version 2 image with snapshots");
            long needed = Qcow2Header.l1EntriesFor(newSize, clusterBits);
            if (needed * 8 > Qcow2Header.MAX_L1_BYTES) throw new ImageException("'" + name + "': " + newSize + " bytes would need an L1 table over 32 MiB");
            if (needed > l1.length) growL1((int) needed);
            writeMetadata();
            file.flush();
            writeHeaderLong(Qcow2Header.OFF_SIZE, newSize);
            file.flush();
            size = newSize;
            header.size = newSize;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void growL1(int entries) throws IOException {
        int clusters = (int) ((entries * 8L + clusterSize - 1) / clusterSize);
        long offset = refcounts.allocate(clusters);
        long[] next = java.util.Arrays.copyOf(l1, entries);
        ByteBuffer b = ByteBuffer.allocate(clusters * clusterSize);
        for (long e : next) b.putLong(e);
        b.clear();
        file.write(offset, b);
        refcounts.writeDirty();
        refcounts.barrier();
        ByteBuffer h = ByteBuffer.allocate(12).putInt(0, entries).putLong(4, offset);
        file.write(Qcow2Header.OFF_L1, h);
        refcounts.barrier();
        long oldOffset = l1Offset;
        int oldClusters = (int) ((l1.length * 8L + clusterSize - 1) / clusterSize);
        l1 = next;
        l1Offset = offset;
        header.l1Size = entries;
        header.l1TableOffset = offset;
        if (oldClusters > 0) {
            refcounts.deferFree(oldOffset, (long) oldClusters * clusterSize);
        }
    }

    private void writeRefcountTableFields(long offset, int clusters) throws IOException {
        file.write(Qcow2Header.OFF_REFCOUNT_TABLE, ByteBuffer.allocate(12).putLong(0, offset).putInt(8, clusters));
        header.refcountTableOffset = offset;
        header.refcountTableClusters = clusters;
    }

    private void writeHeaderLong(int at, long value) throws IOException {
        file.write(at, ByteBuffer.allocate(8).putLong(0, value));
    }

    // ---------------------------------------------------------------------------------------------------------

    private void checkRange(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > size || size - offset < length)
            throw new IOException("Request out of range: " + length + " bytes at " + offset + " on '" + name + "' of " + size + " bytes");
    }

    private void checkOpen() throws IOException {
        if (closed) throw new IOException("'" + name + "' is closed");
    }

    /**
     * Reports metadata damage found while running, as QEMU does: logged once, the image marked corrupt on disk
     * (version 3) so it is next opened read-only, and every later write refused; the request fails.
     */
    private IOException corruption(String what) {
        String msg = "'" + name + "' is corrupt: " + what;
        synchronized (this) {
            if (!corruptionReported) {
                corruptionReported = true;
                LOG.warning(msg + "; further writes are refused (check it with qemu-img check)");
                if (!readOnly && header.version >= 3) {
                    try {
                        header.incompatible |= Qcow2Header.INCOMPAT_CORRUPT;
                        writeHeaderLong(Qcow2Header.OFF_INCOMPATIBLE, header.incompatible);
                    } catch (IOException ignored) {
                        // the request fails anyway; the flag is a courtesy to the next user
                    }
                }
            }
        }
        return new ImageException(msg);
    }

    private void checkWritable() throws IOException {
        if (readOnly) throw new IOException("'" + name + "' is open read-only");
        if (corruptionReported) throw new ImageException("'" + name + "' is corrupt; writes are refused (check it with qemu-img check)");
    }

    /** Writes everything back, clears the dirty bit of a lazy-refcounts image, and releases the image. */
    @Override public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) return;
            if (!readOnly && !corruptionReported) {
                writeMetadata();
                file.flush();
                if (markedDirty) {
                    header.incompatible &= ~Qcow2Header.INCOMPAT_DIRTY;
                    writeHeaderLong(Qcow2Header.OFF_INCOMPATIBLE, header.incompatible);
                    file.flush();
                    markedDirty = false;
                }
            }
        } finally {
            closed = true;
            lock.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // internal snapshots (savevm, qemu-img snapshot). Refcounts count one reference per L1 table that reaches a
    // cluster (an L2 table shared by two L1 tables counts its data clusters twice), as qemu-img check does.
    // Each operation first writes back and forgets the L2 cache, then works on the tables on disk directly.

    /** Writes the VM state of a snapshot being made, as one sequential stream. */
    @FunctionalInterface
    public interface StateWriter { void writeTo(OutputStream out) throws IOException; }

    /** VM state is buffered and written in runs of this many bytes (whole clusters). */
    private static final int STATE_CHUNK = 4 << 20;

    private SnapshotTable.Snapshot findSnapshot(String idOrName) throws IOException {
        for (SnapshotTable.Snapshot sn : snapshots.entries()) if (sn.id().equals(idOrName)) return sn;
        for (SnapshotTable.Snapshot sn : snapshots.entries()) if (sn.name().equals(idOrName)) return sn;
        throw new ImageException("'" + name + "' has no snapshot with id or name '" + idOrName + "'");
    }

    private void checkSnapshotsWritable(String what) throws IOException {
        checkOpen();
        checkWritable();
        if (header.refcountOrder == 0) throw new ImageException("cannot " + what + " on '" + name + "': its 1-bit refcounts cannot count a cluster twice");
    }

    /** The first L1 index past a disk of {@code diskSize} bytes: where QEMU keeps a snapshot's VM state. */
    private long vmStateIndex(long diskSize) { return Qcow2Header.l1EntriesFor(diskSize, clusterBits); }

    /** Writes back everything and empties the L2 cache, so the tables on disk are the truth. */
    private void settle() throws IOException {
        writeMetadata();
        file.flush();
        l2cache.clear();
    }

    private long[] readL2(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        file.read(offset, b);
        b.flip();
        long[] e = new long[(int) l2Entries];
        for (int i = 0; i < e.length; i++) e[i] = b.getLong();
        return e;
    }

    private void writeL2(long offset, long[] entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        for (long e : entries) b.putLong(e);
        b.flip();
        file.write(offset, b);
    }

    private void writeL1(long offset, long[] entries, long clusters) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (clusters * clusterSize));
        for (long e : entries) b.putLong(e);
        b.clear();
        file.write(offset, b);
    }

    private long clustersFor(long bytes) { return (bytes + clusterSize - 1) >> clusterBits; }

    /** A growable list of cluster indices. */
    private static final class Clusters {
        long[] v = new long[64];
        int n;
        void add(long c) {
            if (n == v.length) v = java.util.Arrays.copyOf(v, n * 2);
            v[n++] = c;
        }
        void addRange(long offset, long bytes, int bits) {
            for (long c = offset >> bits; c <= (offset + bytes - 1) >> bits; c++) add(c);
        }
    }

    /** Adds to {@code out} every L2 table and data cluster that L1 entries {@code [0, end)} reach. */
    private void reach(long[] table, long end, Clusters out) throws IOException {
        for (int i = 0; i < Math.min(end, table.length); i++) {
            long l2 = table[i] & L1_OFFSET_MASK;
            if (l2 == 0) continue;
            out.add(l2 >> clusterBits);
            for (long e : readL2(l2)) {
                if ((e & COMPRESSED) != 0) {
                    long host = e & ((1L << compressedShift) - 1);
                    long sectors = ((e >>> compressedShift) & compressedSectorMask) + 1;
                    out.addRange(host & ~511L, sectors * 512, clusterBits);
                } else if ((e & L2_OFFSET_MASK) != 0) {
                    out.add((e & L2_OFFSET_MASK) >> clusterBits);
                }
            }
        }
    }

    /** Clears the COPIED flags in the L2 table at {@code l2} (none: 0), whose clusters are now shared. */
    private void clearCopied(long l2) throws IOException {
        if (l2 == 0) return;
        long[] entries = readL2(l2);
        boolean changed = false;
        for (int k = 0; k < entries.length; k++) {
            if ((entries[k] & COPIED) != 0) { entries[k] &= ~COPIED; changed = true; }
        }
        if (changed) writeL2(l2, entries);
    }

    /** Adds {@code delta} to every listed count; on failure undoes what it did, so memory matches the disk. */
    private void addRefs(Clusters c, long delta) throws IOException {
        int done = 0;
        try {
            for (; done < c.n; done++) refcounts.add(c.v[done], delta);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < done; i++) {
                try { refcounts.add(c.v[i], -delta); } catch (IOException ignored) { /* reported by the first failure */ }
            }
            throw e;
        }
    }

    /**
     * Writes the snapshot table as {@code next} in new clusters and points the header at it (the commit point of
     * every snapshot operation); returns the old table's clusters, for the caller to free once committed.
     */
    private Clusters commitSnapshotTable(List<SnapshotTable.Snapshot> next) throws IOException {
        SnapshotTable table = SnapshotTable.of(next);
        byte[] bytes = table.toBytes();
        if (bytes.length > SnapshotTable.MAX_TABLE_BYTES) throw new ImageException("'" + name + "': the snapshot table would exceed 64 MiB");
        long offset = 0;
        if (!next.isEmpty()) {
            long clusters = clustersFor(bytes.length);
            offset = refcounts.allocate((int) clusters);
            ByteBuffer b = ByteBuffer.allocate((int) (clusters * clusterSize));
            b.put(bytes).clear();
            try {
                file.write(offset, b);
                refcounts.writeDirty();
                refcounts.barrier();
            } catch (IOException e) {
                Clusters mine = new Clusters();
                mine.addRange(offset, bytes.length, clusterBits);
                addRefs(mine, -1);
                throw e;
            }
        }
        Clusters old = new Clusters();
        if (header.nbSnapshots > 0) old.addRange(header.snapshotsOffset, snapshots.toBytes().length, clusterBits);
        // one 12-byte write inside the header's first sector
        file.write(Qcow2Header.OFF_SNAPSHOTS, ByteBuffer.allocate(12).putInt(0, next.size()).putLong(4, offset));
        header.nbSnapshots = next.size();
        header.snapshotsOffset = offset;
        snapshots = table;
        indexSnapshotL1s();
        file.flush();
        return old;
    }

    private void rebuildL2Offsets() {
        l2Offsets.clear();
        for (long e : l1) if ((e & L1_OFFSET_MASK) != 0) l2Offsets.add(e & L1_OFFSET_MASK);
    }

    /** Buffers the VM state and writes it to newly allocated clusters, a chunk at a time; nothing refers to them yet. */
    private final class StateOut extends OutputStream {
        private final ByteBuffer chunk = ByteBuffer.allocate(Math.max(clusterSize, STATE_CHUNK / clusterSize * clusterSize));
        private final Clusters hosts = new Clusters();
        private final long maxClusters;
        long total;

        StateOut(long maxClusters) { this.maxClusters = maxClusters; }

        @Override public void write(int b) throws IOException {
            if (!chunk.hasRemaining()) drain();
            chunk.put((byte) b);
            total++;
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            while (len > 0) {
                if (!chunk.hasRemaining()) drain();
                int n = Math.min(len, chunk.remaining());
                chunk.put(b, off, n);
                off += n;
                len -= n;
                total += n;
            }
        }

        void drain() throws IOException {
            if (chunk.position() == 0) return;
            int clusters = (int) clustersFor(chunk.position());
            if (hosts.n + clusters > maxClusters) throw new ImageException("'" + name + "': the VM state is too large for a qcow2 L1 table");
            while (chunk.position() < clusters * clusterSize) chunk.put((byte) 0);
            long host = refcounts.allocate(clusters);
            for (int k = 0; k < clusters; k++) hosts.add((host >> clusterBits) + k);
            chunk.flip();
            file.write(host, chunk);
            chunk.clear();
        }
    }

    /**
     * Makes a snapshot of the disk as it is now, with {@code state}'s bytes (if any) as its VM state, under the
     * next free numeric id. The VM state lies past the disk's end in guest offset space, reached only from the
     * snapshot's L1 table (where QEMU's loadvm reads it after reverting). Writes are ordered so that until the
     * header names the new table, a crash leaves only leaked clusters behind.
     */
    public SnapshotTable.Snapshot createSnapshot(String snapshotName, long vmClockNanos, long icount, StateWriter state) throws IOException {
        byte[] nameBytes = snapshotName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (nameBytes.length == 0 || nameBytes.length > 1023) throw new ImageException("'" + name + "': a snapshot name must have 1 to 1023 bytes");
        lock.writeLock().lock();
        try {
            checkSnapshotsWritable("create a snapshot");
            if (snapshots.entries().size() >= Qcow2Header.MAX_SNAPSHOTS) throw new ImageException("'" + name + "' already has " + Qcow2Header.MAX_SNAPSHOTS + " snapshots");
            settle();
            long vmIndex = vmStateIndex(size);
            long maxL1 = Qcow2Header.MAX_L1_BYTES / 8;
            Clusters fresh = new Clusters();   // clusters allocated here, freed again if this fails before the commit
            boolean committed = false;
            try {
                // 1. the VM state's data and the L2 tables that map it
                StateOut out = new StateOut((maxL1 - vmIndex) * l2Entries);
                if (state != null) {
                    try {
                        state.writeTo(out);
                        out.drain();
                    } finally {
                        for (int i = 0; i < out.hosts.n; i++) fresh.add(out.hosts.v[i]);
                    }
                }
                long stateClusters = out.hosts.n;
                int stateTables = (int) ((stateClusters + l2Entries - 1) / l2Entries);
                long l1Entries = vmIndex + stateTables;
                long[] snapL1 = new long[(int) l1Entries];
                for (int i = 0; i < Math.min(vmIndex, l1.length); i++) snapL1[i] = l1[i] & L1_OFFSET_MASK;
                for (int t = 0; t < stateTables; t++) {
                    long[] entries = new long[(int) l2Entries];
                    for (int k = 0; k < l2Entries && t * l2Entries + k < stateClusters; k++) entries[k] = out.hosts.v[(int) (t * l2Entries + k)] << clusterBits;
                    long at = refcounts.allocate(1);
                    fresh.add(at >> clusterBits);
                    writeL2(at, entries);
                    snapL1[(int) (vmIndex + t)] = at;
                }
                // 2. the snapshot's L1 table
                long l1Offset = 0;
                if (l1Entries > 0) {
                    long clusters = clustersFor(l1Entries * 8);
                    l1Offset = refcounts.allocate((int) clusters);
                    for (long c = 0; c < clusters; c++) fresh.add((l1Offset >> clusterBits) + c);
                    writeL1(l1Offset, snapL1, clusters);
                }
                refcounts.writeDirty();
                refcounts.barrier();
                // 3. the active tables' clusters gain the snapshot's reference; then lose their COPIED flags
                Clusters shared = new Clusters();
                reach(l1, vmIndex, shared);
                addRefs(shared, 1);
                refcounts.writeDirty();
                refcounts.barrier();
                boolean l1Changed = false;
                for (int i = 0; i < Math.min(vmIndex, l1.length); i++) {
                    clearCopied(l1[i] & L1_OFFSET_MASK);
                    if ((l1[i] & COPIED) != 0) { l1[i] &= ~COPIED; l1Changed = true; }
                }
                if (l1Changed) writeL1(this.l1Offset, l1, clustersFor(l1.length * 8L));
                file.flush();
                // 4. the table entry, then the header (the commit)
                java.time.Instant now = java.time.Instant.now();
                long vmStateSize = out.total;
                SnapshotTable.Snapshot sn = new SnapshotTable.Snapshot(nextSnapshotId(), snapshotName, l1Offset, (int) l1Entries,
                        now.getEpochSecond(), now.getNano(), vmClockNanos, vmStateSize, size, icount, SnapshotTable.extra(vmStateSize, size, icount));
                SnapshotTable.Snapshot replaced = null;
                for (SnapshotTable.Snapshot s : snapshots.entries()) if (s.name().equals(snapshotName)) replaced = s;
                List<SnapshotTable.Snapshot> next = new ArrayList<>(snapshots.entries());
                next.add(sn);
                Clusters oldTable;
                try {
                    oldTable = commitSnapshotTable(next);
                } finally {
                    committed = snapshots.entries().contains(sn);
                }
                addRefs(oldTable, -1);
                refcounts.writeDirty();
                file.flush();
                if (replaced != null) deleteLocked(replaced);
                return sn;
            } finally {
                if (!committed && fresh.n > 0) {
                    try {
                        addRefs(fresh, -1);
                        refcounts.writeDirty();
                    } catch (IOException | RuntimeException e) {
                        LOG.warning("'" + name + "': could not free the clusters of a failed snapshot (they leak): " + e.getMessage());
                    }
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** One more than the highest numeric id, as QEMU numbers snapshots. */
    private String nextSnapshotId() {
        long max = 0;
        for (SnapshotTable.Snapshot sn : snapshots.entries()) {
            try {
                max = Math.max(max, Long.parseLong(sn.id()));
            } catch (NumberFormatException ignored) {
                // ids need not be numbers
            }
        }
        return Long.toString(max + 1);
    }

    /**
     * Makes the disk read as the snapshot does: the active L1 table becomes a copy of the snapshot's (its VM
     * state area left out), the snapshot's clusters gain a reference and the old active ones lose theirs.
     * Nothing the new active tables reach is then counted once (the snapshot still holds it), so no COPIED flag.
     */
    public void revertToSnapshot(String idOrName) throws IOException {
        lock.writeLock().lock();
        try {
            checkSnapshotsWritable("revert to a snapshot");
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            if (sn.diskSize() != size)
                throw new ImageException("cannot revert '" + name + "' to snapshot '" + sn.name() + "': it was taken of a " + sn.diskSize()
                        + "-byte disk and the disk now has " + size + " bytes");
            settle();
            long vmIndex = vmStateIndex(size);
            long[] snapL1 = readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
            long[] next = new long[l1.length];
            for (int i = 0; i < Math.min(vmIndex, snapL1.length); i++) next[i] = snapL1[i] & L1_OFFSET_MASK;
            for (long e : next) {
                String what = (e & L1_OFFSET_MASK) == 0 ? null : metadataAt(e & L1_OFFSET_MASK);
                if (what != null) throw corruption("snapshot '" + sn.name() + "' has an L1 entry pointing into the " + what);
            }
            Clusters gained = new Clusters(), lost = new Clusters();
            reach(next, vmIndex, gained);
            reach(l1, l1.length, lost);
            addRefs(gained, 1);
            refcounts.writeDirty();
            refcounts.barrier();
            for (long e : next) clearCopied(e & L1_OFFSET_MASK);
            refcounts.barrier();
            writeL1(l1Offset, next, clustersFor(next.length * 8L));
            file.flush();
            l1 = next;
            rebuildL2Offsets();
            addRefs(lost, -1);
            refcounts.writeDirty();
            file.flush();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Deletes a snapshot: its entry goes first (the commit), then what its L1 table reached loses a reference. */
    public void deleteSnapshot(String idOrName) throws IOException {
        lock.writeLock().lock();
        try {
            checkSnapshotsWritable("delete a snapshot");
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            settle();
            deleteLocked(sn);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void deleteLocked(SnapshotTable.Snapshot sn) throws IOException {
        long[] snapL1 = sn.l1Size() == 0 ? new long[0] : readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
        Clusters lost = new Clusters();
        reach(snapL1, snapL1.length, lost);
        if (sn.l1Size() > 0) lost.addRange(sn.l1Offset(), sn.l1Size() * 8L, clusterBits);
        List<SnapshotTable.Snapshot> next = new ArrayList<>(snapshots.entries());
        next.removeIf(s -> s.id().equals(sn.id()));
        Clusters oldTable = commitSnapshotTable(next);
        addRefs(oldTable, -1);
        addRefs(lost, -1);
        refcounts.writeDirty();
        refcounts.barrier();
        // what the active tables now hold alone may be written in place again
        boolean l1Changed = false;
        for (int i = 0; i < l1.length; i++) {
            long l2 = l1[i] & L1_OFFSET_MASK;
            if (l2 == 0) continue;
            long[] entries = readL2(l2);
            boolean changed = false;
            for (int k = 0; k < entries.length; k++) {
                long e = entries[k];
                long host = e & L2_OFFSET_MASK;
                if ((e & COMPRESSED) != 0 || host == 0) continue;
                long want = refcounts.get(host >> clusterBits) == 1 ? COPIED : 0;
                if ((e & COPIED) != want) { entries[k] = (e & ~COPIED) | want; changed = true; }
            }
            if (changed) writeL2(l2, entries);
            long want = refcounts.get(l2 >> clusterBits) == 1 ? COPIED : 0;
            if ((l1[i] & COPIED) != want) { l1[i] = (l1[i] & ~COPIED) | want; l1Changed = true; }
        }
        if (l1Changed) {
            refcounts.barrier();
            writeL1(l1Offset, l1, clustersFor(l1.length * 8L));
        }
        file.flush();
        rebuildL2Offsets();
    }

    /** The VM state stored with a snapshot, read a chunk at a time; null when it has none. */
    public InputStream openVmState(String idOrName) throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            if (sn.vmStateSize() == 0) return null;
            long[] snapL1 = readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
            return new StateIn(sn, snapL1, vmStateIndex(sn.diskSize()) * l2Entries);
        } finally {
            lock.readLock().unlock();
        }
    }

    private final class StateIn extends InputStream {
        private final SnapshotTable.Snapshot sn;
        private final long[] snapL1;
        private final long firstCluster;
        private final ByteBuffer buf = ByteBuffer.allocate(Math.max(clusterSize, STATE_CHUNK / clusterSize * clusterSize)).limit(0);
        private long pos;
        private long l2At = -1;
        private long[] l2;

        StateIn(SnapshotTable.Snapshot sn, long[] snapL1, long firstCluster) {
            this.sn = sn;
            this.snapL1 = snapL1;
            this.firstCluster = firstCluster;
        }

        @Override public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) return 0;
            if (!buf.hasRemaining()) {
                if (pos >= sn.vmStateSize()) return -1;
                fill();
            }
            int n = Math.min(len, buf.remaining());
            buf.get(b, off, n);
            return n;
        }

        @Override public int available() { return buf.remaining(); }

        /** Reads the next chunk of whole clusters, coalescing runs that lie side by side in the file. */
        private void fill() throws IOException {
            lock.readLock().lock();
            try {
                checkOpen();
                if (!snapshots.entries().contains(sn))
                    throw new IOException("snapshot '" + sn.name() + "' of '" + name + "' changed while its VM state was read");
                long bytes = Math.min(buf.capacity(), sn.vmStateSize() - pos);
                buf.clear().limit((int) bytes);
                long cluster = firstCluster + (pos >> clusterBits);
                long runHost = -1;
                int runStart = 0;
                while (buf.position() < buf.limit()) {
                    int n = Math.min(clusterSize, buf.remaining());
                    long e = stateEntry(cluster++);
                    long host = (e & (COMPRESSED | ZERO)) == 0 ? e & L2_OFFSET_MASK : 0;
                    if (runHost >= 0 && host != runHost + (buf.position() - runStart)) {
                        file.read(runHost, buf.slice(runStart, buf.position() - runStart));
                        runHost = -1;
                    }
                    if (host != 0) {
                        if (runHost < 0) { runHost = host; runStart = buf.position(); }
                        buf.position(buf.position() + n);
                    } else if ((e & COMPRESSED) != 0) {
                        buf.put(decompress(e), 0, n);
                    } else {
                        for (int k = 0; k < n; k++) buf.put((byte) 0);
                    }
                }
                if (runHost >= 0) file.read(runHost, buf.slice(runStart, buf.position() - runStart));
                buf.flip();
                pos += bytes;
            } finally {
                lock.readLock().unlock();
            }
        }

        private long stateEntry(long cluster) throws IOException {
            int index = (int) (cluster / l2Entries);
            if (index >= snapL1.length || (snapL1[index] & L1_OFFSET_MASK) == 0) return 0;
            long at = snapL1[index] & L1_OFFSET_MASK;
            if (at != l2At) { l2 = readL2(at); l2At = at; }
            long e = l2[(int) (cluster % l2Entries)];
            validateEntry(e, cluster);
            return e;
        }
    }

    /** Statistics and facts for query-block and qemu-img-style listings. */
    public Map<String, Object> facts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("compat", header.version == 3 ? "1.1" : "0.10");
        m.put("lazy-refcounts", lazyRefcounts);
        m.put("refcount-bits", header.refcountBits());
        m.put("corrupt", header.corrupt() || corruptionReported);
        m.put("extended-l2", false);
        return m;
    }
}
