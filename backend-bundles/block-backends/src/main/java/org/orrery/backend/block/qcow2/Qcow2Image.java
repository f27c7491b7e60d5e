package org.orrery.backend.block.qcow2;

import org.orrery.backend.block.qcow2.L2Cache.L2Table;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
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
 * snapshots kept intact (shared clusters are copied on write). Snapshot operations live in {@link Qcow2Snapshots},
 * the L2 table cache in {@link L2Cache}.
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
    static final Logger LOG = Logger.getLogger(Qcow2Image.class.getName());
    static final long L1_OFFSET_MASK = 0x00fffffffffffe00L;
    static final long L2_OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    /** Frees queued beyond this many clusters force a metadata write, so the queue stays small. */
    private static final long MAX_PENDING_FREES = 4096;

    final HostFile file;
    final String name;
    final Qcow2Header header;
    private final boolean readOnly;
    private final BackingImage backing;
    final int clusterBits;
    final int clusterSize;
    final long l2Entries;
    private final int compressedShift;
    private final long compressedSectorMask;
    volatile long size;
    long[] l1;
    long l1Offset;
    Refcounts refcounts;
    private final Qcow2Snapshots snapshots;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final L2Cache l2cache;
    private final Set<Long> l2Offsets = new HashSet<>();
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
        snapshots = new Qcow2Snapshots(this, h.nbSnapshots > 0 ? SnapshotTable.read(file, h, name, fileLength) : SnapshotTable.empty());
        int rcCache = o.refcountCacheBytes() >= 0 ? o.refcountCacheBytes() : Math.max(4 * clusterSize, 256 << 10);
        refcounts = new Refcounts(file, name, h, o.barriers(), rcCache, this::writeRefcountTableFields);
        long virtualL2Tables = Math.max(1, Qcow2Header.l1EntriesFor(size, clusterBits));
        long l2Bytes = o.l2CacheBytes() >= 0 ? o.l2CacheBytes() : Math.min(virtualL2Tables * clusterSize, 32L << 20);
        l2cache = new L2Cache((int) Math.max(2, Math.min(l2Bytes / clusterSize, Integer.MAX_VALUE)), new L2Cache.Store() {
            @Override public long[] read(long offset) throws IOException { return readL2(offset); }
            @Override public void beforeWriteBack() throws IOException {
                if (lazyRefcounts) return;
                refcounts.writeDirty();
                refcounts.barrier();
            }
            @Override public void writeBack(L2Table t) throws IOException { writeTable(t); }
        });
        checkStructure(fileLength);
        if (!ro) openForWriting();
    }

    /** Opens the image in {@code file}; {@code backing} is null when it has none (or it is not wanted). */
    public static Qcow2Image open(HostFile file, String name, Options options, BackingImage backing) throws IOException {
        return new Qcow2Image(file, name, probe(file, name), options, backing);
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

    long[] readL1(long offset, int entries, long fileLength, String what) throws IOException {
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
        snapshots.indexL1Tables();
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

    /** What fixed metadata lies in the cluster at {@code off}, or null. */
    String metadataAt(long off) {
        long c = off >> clusterBits;
        if (c == 0) return "image header";
        if (inRange(c, l1Offset, l1.length * 8L)) return "active L1 table";
        if (inRange(c, refcounts.tableOffset(), (long) refcounts.tableClusters() * clusterSize)) return "refcount table";
        if (refcounts.isBlock(off & ~(long) (clusterSize - 1))) return "refcount block";
        if (header.nbSnapshots > 0 && inRange(c, header.snapshotsOffset, 40L * header.nbSnapshots)) return "snapshot table";
        if (snapshots.holdsL1Table(c)) return "L1 table of a snapshot";
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
            new RefcountRebuild(file, name, header, l1Offset, l1.length, snapshots.table()).rebuild(l1s, this::writeRefcountTableFields);
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

    /** Where the compressed data an L2 entry refers to starts in the file (whole 512-byte sectors). */
    long compressedStart(long entry) { return entry & ((1L << compressedShift) - 1) & ~511L; }

    /** How many bytes of whole sectors the compressed data of an L2 entry spans from {@link #compressedStart}. */
    long compressedLength(long entry) { return (((entry >>> compressedShift) & compressedSectorMask) + 1) * 512; }

    byte[] decompress(long entry) throws IOException {
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
            refcounts.deferFree(compressedStart(entry), compressedLength(entry));
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

    private void writeTable(L2Table t) throws IOException {
        writeL2(t.offset, t.entries);
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

    void validateEntry(long e, long guestCluster) throws IOException {
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
    void writeMetadata() throws IOException {
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
        writeL1(offset, next, clusters);
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

    void checkOpen() throws IOException {
        if (closed) throw new IOException("'" + name + "' is closed");
    }

    /**
     * Reports metadata damage found while running, as QEMU does: logged once, the image marked corrupt on disk
     * (version 3) so it is next opened read-only, and every later write refused; the request fails.
     */
    IOException corruption(String what) {
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

    void checkWritable() throws IOException {
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
    // internal snapshots: see Qcow2Snapshots

    /** Writes the VM state of a snapshot being made, as one sequential stream. */
    @FunctionalInterface
    public interface StateWriter { void writeTo(OutputStream out) throws IOException; }

    /**
     * Makes a snapshot of the disk as it is now, with {@code state}'s bytes (if any) as its VM state, under the
     * next free numeric id; an older snapshot of the same name is replaced.
     */
    public SnapshotTable.Snapshot createSnapshot(String snapshotName, long vmClockNanos, long icount, StateWriter state) throws IOException {
        return snapshots.create(snapshotName, vmClockNanos, icount, state);
    }

    /** Makes the disk read as the snapshot {@code idOrName} does. */
    public void revertToSnapshot(String idOrName) throws IOException { snapshots.revert(idOrName); }

    public void deleteSnapshot(String idOrName) throws IOException { snapshots.delete(idOrName); }

    /** The VM state stored with a snapshot, read a chunk at a time; null when it has none. */
    public InputStream openVmState(String idOrName) throws IOException { return snapshots.openVmState(idOrName); }

    /** Writes back everything and empties the L2 cache, so the tables on disk are the truth. */
    void settle() throws IOException {
        writeMetadata();
        file.flush();
        l2cache.clear();
    }

    /** Points the active L1 table at {@code next} (already on disk). */
    void replaceL1(long[] next) {
        l1 = next;
        rebuildL2Offsets();
    }

    void rebuildL2Offsets() {
        l2Offsets.clear();
        for (long e : l1) if ((e & L1_OFFSET_MASK) != 0) l2Offsets.add(e & L1_OFFSET_MASK);
    }

    long[] readL2(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        file.read(offset, b);
        b.flip();
        long[] e = new long[(int) l2Entries];
        for (int i = 0; i < e.length; i++) e[i] = b.getLong();
        return e;
    }

    void writeL2(long offset, long[] entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        for (long e : entries) b.putLong(e);
        b.flip();
        file.write(offset, b);
    }

    /** Writes an L1 table filling {@code clusters} whole clusters (zeros past its entries). */
    void writeL1(long offset, long[] entries, long clusters) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (clusters * clusterSize));
        for (long e : entries) b.putLong(e);
        b.clear();
        file.write(offset, b);
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
