package org.orrery.backend.block.qcow2;

import static org.orrery.backend.block.qcow2.Qcow2Image.COMPRESSED;
import static org.orrery.backend.block.qcow2.Qcow2Image.COPIED;
import static org.orrery.backend.block.qcow2.Qcow2Image.L1_OFFSET_MASK;
import static org.orrery.backend.block.qcow2.Qcow2Image.L2_OFFSET_MASK;
import static org.orrery.backend.block.qcow2.Qcow2Image.ZERO;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The internal snapshots of an open {@link Qcow2Image} (savevm, qemu-img snapshot): its snapshot table, making,
 * reverting to and deleting snapshots, and the VM state each snapshot keeps past the disk's end. Apart from the
 * image's guest I/O because these operations bypass the L2 cache: each first writes back and forgets it
 * ({@link Qcow2Image#settle()}), then works on the tables on disk directly, under the image's write lock.
 *
 * <p>Refcounts count one reference per L1 table that reaches a cluster (an L2 table shared by two L1 tables
 * counts its data clusters twice), as qemu-img check does.
 */
final class Qcow2Snapshots {
    private final Qcow2Image image;
    private final HostFile file;
    private final String name;
    private final Qcow2Header header;
    private final int clusterBits;
    private final int clusterSize;
    private final long l2Entries;
    private SnapshotTable table;
    /** Clusters of the snapshots' L1 tables (first to last, merged), which data must never overwrite. */
    private final TreeMap<Long, Long> l1Clusters = new TreeMap<>();

    Qcow2Snapshots(Qcow2Image image, SnapshotTable table) {
        this.image = image;
        this.file = image.file;
        this.name = image.name;
        this.header = image.header;
        this.clusterBits = image.clusterBits;
        this.clusterSize = image.clusterSize;
        this.l2Entries = image.l2Entries;
        this.table = table;
    }

    SnapshotTable table() { return table; }
    List<SnapshotTable.Snapshot> entries() { return table.entries(); }

    /** Rebuilds the index of the clusters the snapshots' L1 tables occupy. */
    void indexL1Tables() {
        l1Clusters.clear();
        for (SnapshotTable.Snapshot sn : table.entries()) {
            if (sn.l1Size() == 0) continue;
            long first = sn.l1Offset() >> clusterBits, last = (sn.l1Offset() + sn.l1Size() * 8L - 1) >> clusterBits;
            Map.Entry<Long, Long> before = l1Clusters.floorEntry(first);
            if (before != null && before.getValue() >= first) {
                first = before.getKey();
                last = Math.max(last, before.getValue());
            }
            l1Clusters.put(first, last);
        }
    }

    /** Whether cluster {@code c} holds part of a snapshot's L1 table. */
    boolean holdsL1Table(long c) {
        Map.Entry<Long, Long> snapshotL1 = l1Clusters.floorEntry(c);
        return snapshotL1 != null && snapshotL1.getValue() >= c;
    }

    /** VM state is buffered and written in runs of this many bytes (whole clusters). */
    private static final int STATE_CHUNK = 4 << 20;

    private SnapshotTable.Snapshot findSnapshot(String idOrName) throws IOException {
        for (SnapshotTable.Snapshot sn : table.entries()) if (sn.id().equals(idOrName)) return sn;
        for (SnapshotTable.Snapshot sn : table.entries()) if (sn.name().equals(idOrName)) return sn;
        throw new ImageException("'" + name + "' has no snapshot with id or name '" + idOrName + "'");
    }

    private void checkSnapshotsWritable(String what) throws IOException {
        image.checkOpen();
        image.checkWritable();
        if (header.refcountOrder == 0) throw new ImageException("cannot " + what + " on '" + name + "': its 1-bit refcounts cannot count a cluster twice");
    }

    /** The first L1 index past a disk of {@code diskSize} bytes: where QEMU keeps a snapshot's VM state. */
    private long vmStateIndex(long diskSize) { return Qcow2Header.l1EntriesFor(diskSize, clusterBits); }

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
    private void reach(long[] l1Table, long end, Clusters out) throws IOException {
        for (int i = 0; i < Math.min(end, l1Table.length); i++) {
            long l2 = l1Table[i] & L1_OFFSET_MASK;
            if (l2 == 0) continue;
            out.add(l2 >> clusterBits);
            for (long e : image.readL2(l2)) {
                if ((e & COMPRESSED) != 0) {
                    out.addRange(image.compressedStart(e), image.compressedLength(e), clusterBits);
                } else if ((e & L2_OFFSET_MASK) != 0) {
                    out.add((e & L2_OFFSET_MASK) >> clusterBits);
                }
            }
        }
    }

    /** Clears the COPIED flags in the L2 table at {@code l2} (none: 0), whose clusters are now shared. */
    private void clearCopied(long l2) throws IOException {
        if (l2 == 0) return;
        long[] entries = image.readL2(l2);
        boolean changed = false;
        for (int k = 0; k < entries.length; k++) {
            if ((entries[k] & COPIED) != 0) { entries[k] &= ~COPIED; changed = true; }
        }
        if (changed) image.writeL2(l2, entries);
    }

    /** Adds {@code delta} to every listed count; on failure undoes what it did, so memory matches the disk. */
    private void addRefs(Clusters c, long delta) throws IOException {
        int done = 0;
        try {
            for (; done < c.n; done++) image.refcounts.add(c.v[done], delta);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < done; i++) {
                try { image.refcounts.add(c.v[i], -delta); } catch (IOException ignored) { /* reported by the first failure */ }
            }
            throw e;
        }
    }

    /**
     * Writes the snapshot table as {@code next} in new clusters and points the header at it (the commit point of
     * every snapshot operation); returns the old table's clusters, for the caller to free once committed.
     */
    private Clusters commitSnapshotTable(List<SnapshotTable.Snapshot> next) throws IOException {
        SnapshotTable written = SnapshotTable.of(next);
        byte[] bytes = written.toBytes();
        if (bytes.length > SnapshotTable.MAX_TABLE_BYTES) throw new ImageException("'" + name + "': the snapshot table would exceed 64 MiB");
        long offset = 0;
        if (!next.isEmpty()) {
            long clusters = clustersFor(bytes.length);
            offset = image.refcounts.allocate((int) clusters);
            ByteBuffer b = ByteBuffer.allocate((int) (clusters * clusterSize));
            b.put(bytes).clear();
            try {
                file.write(offset, b);
                image.refcounts.writeDirty();
                image.refcounts.barrier();
            } catch (IOException e) {
                Clusters mine = new Clusters();
                mine.addRange(offset, bytes.length, clusterBits);
                addRefs(mine, -1);
                throw e;
            }
        }
        Clusters old = new Clusters();
        if (header.nbSnapshots > 0) old.addRange(header.snapshotsOffset, table.toBytes().length, clusterBits);
        // one 12-byte write inside the header's first sector
        file.write(Qcow2Header.OFF_SNAPSHOTS, ByteBuffer.allocate(12).putInt(0, next.size()).putLong(4, offset));
        header.nbSnapshots = next.size();
        header.snapshotsOffset = offset;
        table = written;
        indexL1Tables();
        file.flush();
        return old;
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
            long host = image.refcounts.allocate(clusters);
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
    SnapshotTable.Snapshot create(String snapshotName, long vmClockNanos, long icount, Qcow2Image.StateWriter state) throws IOException {
        byte[] nameBytes = snapshotName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (nameBytes.length == 0 || nameBytes.length > 1023) throw new ImageException("'" + name + "': a snapshot name must have 1 to 1023 bytes");
        image.lock.writeLock().lock();
        try {
            checkSnapshotsWritable("create a snapshot");
            if (table.entries().size() >= Qcow2Header.MAX_SNAPSHOTS) throw new ImageException("'" + name + "' already has " + Qcow2Header.MAX_SNAPSHOTS + " snapshots");
            image.settle();
            long vmIndex = vmStateIndex(image.size);
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
                for (int i = 0; i < Math.min(vmIndex, image.l1.length); i++) snapL1[i] = image.l1[i] & L1_OFFSET_MASK;
                for (int t = 0; t < stateTables; t++) {
                    long[] entries = new long[(int) l2Entries];
                    for (int k = 0; k < l2Entries && t * l2Entries + k < stateClusters; k++) entries[k] = out.hosts.v[(int) (t * l2Entries + k)] << clusterBits;
                    long at = image.refcounts.allocate(1);
                    fresh.add(at >> clusterBits);
                    image.writeL2(at, entries);
                    snapL1[(int) (vmIndex + t)] = at;
                }
                // 2. the snapshot's L1 table
                long snapL1Offset = 0;
                if (l1Entries > 0) {
                    long clusters = clustersFor(l1Entries * 8);
                    snapL1Offset = image.refcounts.allocate((int) clusters);
                    for (long c = 0; c < clusters; c++) fresh.add((snapL1Offset >> clusterBits) + c);
                    image.writeL1(snapL1Offset, snapL1, clusters);
                }
                image.refcounts.writeDirty();
                image.refcounts.barrier();
                // 3. the active tables' clusters gain the snapshot's reference; then lose their COPIED flags
                Clusters shared = new Clusters();
                reach(image.l1, vmIndex, shared);
                addRefs(shared, 1);
                image.refcounts.writeDirty();
                image.refcounts.barrier();
                boolean l1Changed = false;
                for (int i = 0; i < Math.min(vmIndex, image.l1.length); i++) {
                    clearCopied(image.l1[i] & L1_OFFSET_MASK);
                    if ((image.l1[i] & COPIED) != 0) { image.l1[i] &= ~COPIED; l1Changed = true; }
                }
                if (l1Changed) image.writeL1(image.l1Offset, image.l1, clustersFor(image.l1.length * 8L));
                file.flush();
                // 4. the table entry, then the header (the commit)
                java.time.Instant now = java.time.Instant.now();
                long vmStateSize = out.total;
                SnapshotTable.Snapshot sn = new SnapshotTable.Snapshot(nextSnapshotId(), snapshotName, snapL1Offset, (int) l1Entries,
                        now.getEpochSecond(), now.getNano(), vmClockNanos, vmStateSize, image.size, icount, SnapshotTable.extra(vmStateSize, image.size, icount));
                SnapshotTable.Snapshot replaced = null;
                for (SnapshotTable.Snapshot s : table.entries()) if (s.name().equals(snapshotName)) replaced = s;
                List<SnapshotTable.Snapshot> next = new ArrayList<>(table.entries());
                next.add(sn);
                Clusters oldTable;
                try {
                    oldTable = commitSnapshotTable(next);
                } finally {
                    committed = table.entries().contains(sn);
                }
                addRefs(oldTable, -1);
                image.refcounts.writeDirty();
                file.flush();
                if (replaced != null) deleteLocked(replaced);
                return sn;
            } finally {
                if (!committed && fresh.n > 0) {
                    try {
                        addRefs(fresh, -1);
                        image.refcounts.writeDirty();
                    } catch (IOException | RuntimeException e) {
                        Qcow2Image.LOG.warning("'" + name + "': could not free the clusters of a failed snapshot (they leak): " + e.getMessage());
                    }
                }
            }
        } finally {
            image.lock.writeLock().unlock();
        }
    }

    /** One more than the highest numeric id, as QEMU numbers snapshots. */
    private String nextSnapshotId() {
        long max = 0;
        for (SnapshotTable.Snapshot sn : table.entries()) {
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
    void revert(String idOrName) throws IOException {
        image.lock.writeLock().lock();
        try {
            checkSnapshotsWritable("revert to a snapshot");
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            if (sn.diskSize() != image.size)
                throw new ImageException("cannot revert '" + name + "' to snapshot '" + sn.name() + "': it was taken of a " + sn.diskSize()
                        + "-byte disk and the disk now has " + image.size + " bytes");
            image.settle();
            long vmIndex = vmStateIndex(image.size);
            long[] snapL1 = image.readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
            long[] next = new long[image.l1.length];
            for (int i = 0; i < Math.min(vmIndex, snapL1.length); i++) next[i] = snapL1[i] & L1_OFFSET_MASK;
            for (long e : next) {
                String what = (e & L1_OFFSET_MASK) == 0 ? null : image.metadataAt(e & L1_OFFSET_MASK);
                if (what != null) throw image.corruption("snapshot '" + sn.name() + "' has an L1 entry pointing into the " + what);
            }
            Clusters gained = new Clusters(), lost = new Clusters();
            reach(next, vmIndex, gained);
            reach(image.l1, image.l1.length, lost);
            addRefs(gained, 1);
            image.refcounts.writeDirty();
            image.refcounts.barrier();
            for (long e : next) clearCopied(e & L1_OFFSET_MASK);
            image.refcounts.barrier();
            image.writeL1(image.l1Offset, next, clustersFor(next.length * 8L));
            file.flush();
            image.replaceL1(next);
            addRefs(lost, -1);
            image.refcounts.writeDirty();
            file.flush();
        } finally {
            image.lock.writeLock().unlock();
        }
    }

    /** Deletes a snapshot: its entry goes first (the commit), then what its L1 table reached loses a reference. */
    void delete(String idOrName) throws IOException {
        image.lock.writeLock().lock();
        try {
            checkSnapshotsWritable("delete a snapshot");
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            image.settle();
            deleteLocked(sn);
        } finally {
            image.lock.writeLock().unlock();
        }
    }

    private void deleteLocked(SnapshotTable.Snapshot sn) throws IOException {
        long[] snapL1 = sn.l1Size() == 0 ? new long[0] : image.readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
        Clusters lost = new Clusters();
        reach(snapL1, snapL1.length, lost);
        if (sn.l1Size() > 0) lost.addRange(sn.l1Offset(), sn.l1Size() * 8L, clusterBits);
        List<SnapshotTable.Snapshot> next = new ArrayList<>(table.entries());
        next.removeIf(s -> s.id().equals(sn.id()));
        Clusters oldTable = commitSnapshotTable(next);
        addRefs(oldTable, -1);
        addRefs(lost, -1);
        image.refcounts.writeDirty();
        image.refcounts.barrier();
        // what the active tables now hold alone may be written in place again
        boolean l1Changed = false;
        for (int i = 0; i < image.l1.length; i++) {
            long l2 = image.l1[i] & L1_OFFSET_MASK;
            if (l2 == 0) continue;
            long[] entries = image.readL2(l2);
            boolean changed = false;
            for (int k = 0; k < entries.length; k++) {
                long e = entries[k];
                long host = e & L2_OFFSET_MASK;
                if ((e & COMPRESSED) != 0 || host == 0) continue;
                long want = image.refcounts.get(host >> clusterBits) == 1 ? COPIED : 0;
                if ((e & COPIED) != want) { entries[k] = (e & ~COPIED) | want; changed = true; }
            }
            if (changed) image.writeL2(l2, entries);
            long want = image.refcounts.get(l2 >> clusterBits) == 1 ? COPIED : 0;
            if ((image.l1[i] & COPIED) != want) { image.l1[i] = (image.l1[i] & ~COPIED) | want; l1Changed = true; }
        }
        if (l1Changed) {
            image.refcounts.barrier();
            image.writeL1(image.l1Offset, image.l1, clustersFor(image.l1.length * 8L));
        }
        file.flush();
        image.rebuildL2Offsets();
    }

    /** The VM state stored with a snapshot, read a chunk at a time; null when it has none. */
    InputStream openVmState(String idOrName) throws IOException {
        image.lock.readLock().lock();
        try {
            image.checkOpen();
            SnapshotTable.Snapshot sn = findSnapshot(idOrName);
            if (sn.vmStateSize() == 0) return null;
            long[] snapL1 = image.readL1(sn.l1Offset(), sn.l1Size(), file.length(), "snapshot L1 table");
            return new StateIn(sn, snapL1, vmStateIndex(sn.diskSize()) * l2Entries);
        } finally {
            image.lock.readLock().unlock();
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
            image.lock.readLock().lock();
            try {
                image.checkOpen();
                if (!table.entries().contains(sn))
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
                        buf.put(image.decompress(e), 0, n);
                    } else {
                        for (int k = 0; k < n; k++) buf.put((byte) 0);
                    }
                }
                if (runHost >= 0) file.read(runHost, buf.slice(runStart, buf.position() - runStart));
                buf.flip();
                pos += bytes;
            } finally {
                image.lock.readLock().unlock();
            }
        }

        private long stateEntry(long cluster) throws IOException {
            int index = (int) (cluster / l2Entries);
            if (index >= snapL1.length || (snapL1[index] & L1_OFFSET_MASK) == 0) return 0;
            long at = snapL1[index] & L1_OFFSET_MASK;
            if (at != l2At) { l2 = image.readL2(at); l2At = at; }
            long e = l2[(int) (cluster % l2Entries)];
            image.validateEntry(e, cluster);
            return e;
        }
    }
}
