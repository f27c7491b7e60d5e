package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Writes a new, empty qcow2 image: header, refcount table and blocks, L1 table, as qemu-img create lays them out. */
public final class Qcow2Create {
    private Qcow2Create() { }

    /** What to create; the defaults are qemu-img's (version 3, 64 KiB clusters, 16-bit refcounts). */
    public record Spec(long size, int version, int clusterSize, int refcountBits, boolean lazyRefcounts,
                       String backingFile, String backingFormat) {
        public static Spec of(long size) { return new Spec(size, 3, 65536, 16, false, null, null); }
        public Spec withBacking(String file, String format) { return new Spec(size, version, clusterSize, refcountBits, lazyRefcounts, file, format); }
    }

    public static void create(HostFile file, String name, Spec s) throws IOException {
        if (s.version() != 2 && s.version() != 3) throw new ImageException("'" + name + "': qcow2 version must be 2 (compat=0.10) or 3 (compat=1.1)");
        int cs = s.clusterSize();
        if (Integer.bitCount(cs) != 1 || cs < 512 || cs > (2 << 20))
            throw new ImageException("'" + name + "': Cluster size must be a power of two between 512 and 2048k");
        int bits = s.refcountBits();
        if (Integer.bitCount(bits) != 1 || bits > 64) throw new ImageException("'" + name + "': Refcount width must be a power of two and may not exceed 64 bits");
        if (s.version() == 2 && bits != 16) throw new ImageException("'" + name + "': Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
        if (s.version() == 2 && s.lazyRefcounts()) throw new ImageException("'" + name + "': Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        if (s.size() < 0 || s.size() % 512 != 0) throw new ImageException("'" + name + "': Image size must be a multiple of 512 bytes");
        if (s.backingFile() != null && s.backingFile().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Qcow2Header.MAX_BACKING_NAME)
            throw new ImageException("'" + name + "': backing file name too long");
        int clusterBits = Integer.numberOfTrailingZeros(cs);
        long l1Entries = Qcow2Header.l1EntriesFor(s.size(), clusterBits);
        if (l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) throw new ImageException("'" + name + "': Image size is too large for this cluster size");
        long l1Clusters = Math.max(1, (l1Entries * 8 + cs - 1) / cs);
        long perBlock = (long) cs * 8 / bits;
        long blocks = 1, tableClusters = 1;
        while (true) {
            long used = 1 + tableClusters + blocks + l1Clusters;
            long needBlocks = (used + perBlock - 1) / perBlock;
            long needTable = (needBlocks * 8 + cs - 1) / cs;
            if (needBlocks == blocks && needTable == tableClusters) break;
            blocks = needBlocks;
            tableClusters = needTable;
        }
        if (tableClusters * cs > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) throw new ImageException("'" + name + "': Image size is too large for this cluster size");
        long used = 1 + tableClusters + blocks + l1Clusters;
        Qcow2Header h = new Qcow2Header();
        h.version = s.version();
        h.clusterBits = clusterBits;
        h.size = s.size();
        h.l1Size = (int) l1Entries;
        h.l1TableOffset = (1 + tableClusters + blocks) * cs;
        h.refcountTableOffset = cs;
        h.refcountTableClusters = (int) tableClusters;
        h.refcountOrder = Integer.numberOfTrailingZeros(bits);
        h.compatible = s.lazyRefcounts() ? Qcow2Header.COMPAT_LAZY_REFCOUNTS : 0;
        h.backingFile = s.backingFile();
        h.backingFormat = s.backingFile() != null ? s.backingFormat() : null;
        byte[] first = h.toBytes();
        file.truncate(0);
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * cs));
        for (long b = 0; b < blocks; b++) table.putLong((1 + tableClusters + b) * cs);
        table.clear();
        file.write(cs, table);
        for (long b = 0; b < blocks; b++) {
            byte[] block = new byte[cs];
            for (long i = 0; i < perBlock; i++) {
                long c = b * perBlock + i;
                if (c < used) Refcounts.setEntry(block, i, 1, Integer.numberOfTrailingZeros(bits));
            }
            file.write((1 + tableClusters + b) * cs, ByteBuffer.wrap(block));
        }
        file.write(h.l1TableOffset, ByteBuffer.allocate((int) (l1Clusters * cs)));
        file.write(0, ByteBuffer.wrap(first));
        file.flush();
    }
}
