package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.orrery.backend.block.qcow2.Qcow2Image.COMPRESSED;
import static org.orrery.backend.block.qcow2.Qcow2Image.L1_OFFSET_MASK;
import static org.orrery.backend.block.qcow2.Qcow2Image.L2_OFFSET_MASK;

/**
 * The repair of a dirty image (lazy refcounts, not closed cleanly): counts every reference the tables make
 * (header, L1 tables, L2 tables, data and compressed clusters, the snapshot table) and writes a new refcount
 * structure after the end of the file, then points the header at it. What no table references is free, and the
 * old structure is simply no longer referenced.
 */
final class RefcountRebuild {
    /** Counts are kept in memory (8 bytes a cluster): a bound on what an image can make us allocate. */
    static final long MAX_CLUSTERS = 16L << 20;

    private final HostFile file;
    private final String name;
    private final Qcow2Header header;
    private final long l1Offset;
    private final int l1Length;
    private final SnapshotTable snapshots;
    private final int clusterBits;
    private final int clusterSize;
    private final int compressedShift;
    private final long compressedSectorMask;

    RefcountRebuild(HostFile file, String name, Qcow2Header header, long l1Offset, int l1Length, SnapshotTable snapshots) {
        this.file = file;
        this.name = name;
        this.header = header;
        this.l1Offset = l1Offset;
        this.l1Length = l1Length;
        this.snapshots = snapshots;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.compressedShift = 62 - (clusterBits - 8);
        this.compressedSectorMask = (1L << (clusterBits - 8)) - 1;
    }

    /** {@code l1s}: the active L1 table, then each snapshot's; {@code moved} rewrites the header's refcount-table fields. */
    void rebuild(List<long[]> l1s, Refcounts.HeaderWriter moved) throws IOException {
        long fileLength = file.length();
        long fileClusters = (fileLength + clusterSize - 1) >> clusterBits;
        if (fileClusters > MAX_CLUSTERS)
            throw new ImageException("'" + name + "': too large to rebuild its refcounts here (" + fileClusters + " clusters); open it read-only or repair it with qemu-img check -r all");
        long[] counts = new long[(int) fileClusters + 1];
        count(counts, 0, clusterSize);
        count(counts, l1Offset, l1Length * 8L);
        if (header.nbSnapshots > 0) {
            count(counts, header.snapshotsOffset, snapshots.toBytes().length);
            for (SnapshotTable.Snapshot s : snapshots.entries()) count(counts, s.l1Offset(), s.l1Size() * 8L);
        }
        // each L2 table is read once, however many L1 entries share it; its references count once per sharer
        Map<Long, Long> sharers = new LinkedHashMap<>();
        for (long[] table : l1s) {
            for (long l1e : table) {
                long l2 = l1e & L1_OFFSET_MASK;
                if (l2 == 0) continue;
                if (l2 >= fileLength) throw new ImageException("'" + name + "': an L2 table at 0x" + Long.toHexString(l2) + " is past the end of the file");
                sharers.merge(l2, 1L, Long::sum);
            }
        }
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        for (Map.Entry<Long, Long> e2 : sharers.entrySet()) {
            long l2 = e2.getKey(), times = e2.getValue();
            counts[(int) (l2 >> clusterBits)] += times;
            b.clear();
            file.read(l2, b);
            b.flip();
            for (int i = 0; i < clusterSize / 8; i++) {
                long e = b.getLong();
                long first, last;
                if ((e & COMPRESSED) != 0) {
                    long host = (e & ((1L << compressedShift) - 1)) & ~511L;
                    long sectors = ((e >>> compressedShift) & compressedSectorMask) + 1;
                    first = host >> clusterBits;
                    last = (host + sectors * 512 - 1) >> clusterBits;
                } else if ((e & L2_OFFSET_MASK) != 0) {
                    first = last = (e & L2_OFFSET_MASK) >> clusterBits;
                } else {
                    continue;
                }
                for (long c = first; c <= last && c < counts.length; c++) counts[(int) c] += times;
            }
        }
        writeStructure(counts, fileClusters, moved);
    }

    private void count(long[] counts, long offset, long bytes) {
        if (bytes <= 0) return;
        long a = offset >> clusterBits, b = (offset + bytes - 1) >> clusterBits;
        for (long c = a; c <= b && c < counts.length; c++) counts[(int) c]++;
    }

    /** New blocks and a new table from the first cluster past the end of the file; they count themselves too. */
    private void writeStructure(long[] counts, long start, Refcounts.HeaderWriter moved) throws IOException {
        long entriesPerBlock = (long) clusterSize * 8 >> header.refcountOrder;
        long regions, tableClusters, total = start;
        while (true) {
            regions = (total + entriesPerBlock - 1) / entriesPerBlock;
            tableClusters = (regions * 8 + clusterSize - 1) / clusterSize;
            long end = start + regions + tableClusters;
            if ((end + entriesPerBlock - 1) / entriesPerBlock <= regions) break;
            total = end;
        }
        long maxRef = header.refcountOrder == 6 ? Long.MAX_VALUE : (1L << (1 << header.refcountOrder)) - 1;
        long[] table = new long[(int) (tableClusters * clusterSize / 8)];
        for (long r = 0; r < regions; r++) {
            byte[] d = new byte[clusterSize];
            for (long i = 0; i < entriesPerBlock; i++) {
                long c = r * entriesPerBlock + i;
                long v = c < counts.length ? counts[(int) c] : 0;
                if (c >= start && c < start + regions + tableClusters) v = 1;
                if (v > maxRef) throw new ImageException("'" + name + "': cluster 0x" + Long.toHexString(c << clusterBits) + " has more references than its refcount can hold");
                Refcounts.setEntry(d, i, v, header.refcountOrder);
            }
            long at = (start + r) << clusterBits;
            file.write(at, ByteBuffer.wrap(d));
            table[(int) r] = at;
        }
        ByteBuffer t = ByteBuffer.allocate((int) (tableClusters * clusterSize));
        for (long e : table) t.putLong(e);
        t.flip();
        long tableOffset = (start + regions) << clusterBits;
        file.write(tableOffset, t);
        file.flush();
        moved.refcountTableMoved(tableOffset, (int) tableClusters);
        file.flush();
    }
}
