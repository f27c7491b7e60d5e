package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The internal snapshot table (what {@code savevm} and {@code qemu-img snapshot} write): read and checked at
 * open, kept unchanged, and serialisable so a later writer can add or remove entries.
 */
public final class SnapshotTable {
    /** QEMU's limit on the table's size. */
    static final long MAX_TABLE_BYTES = 64L << 20;
    static final int MAX_EXTRA = 1024;

    /** One snapshot. {@code extra} holds the entry's extra data as found (unknown fields kept). */
    public record Snapshot(String id, String name, long l1Offset, int l1Size, long dateSec, long dateNsec,
                           long vmClockNsec, long vmStateSize, long diskSize, long icount, byte[] extra) { }

    private final List<Snapshot> entries;

    private SnapshotTable(List<Snapshot> entries) { this.entries = entries; }

    public List<Snapshot> entries() { return List.copyOf(entries); }

    static SnapshotTable empty() { return new SnapshotTable(new ArrayList<>()); }

    static SnapshotTable of(List<Snapshot> entries) { return new SnapshotTable(new ArrayList<>(entries)); }

    /** The extra data this writer stores: the 64-bit VM state size, the disk size and the instruction count. */
    static byte[] extra(long vmStateSize, long diskSize, long icount) {
        return ByteBuffer.allocate(24).putLong(vmStateSize).putLong(diskSize).putLong(icount).array();
    }

    static SnapshotTable read(HostFile file, Qcow2Header h, String name, long fileLength) throws IOException {
        List<Snapshot> out = new ArrayList<>();
        long pos = h.snapshotsOffset;
        int cs = h.clusterSize();
        for (int i = 0; i < h.nbSnapshots; i++) {
            if (pos - h.snapshotsOffset + 40 > MAX_TABLE_BYTES || pos + 40 > fileLength)
                throw new ImageException("Could not open '" + name + "': snapshot table entry " + i + " is past the end of the file or too large");
            ByteBuffer f = ByteBuffer.allocate(40);
            file.read(pos, f);
            long l1Offset = f.getLong(0);
            int l1Size = f.getInt(8);
            int idLen = f.getShort(12) & 0xffff, nameLen = f.getShort(14) & 0xffff;
            long extraSize = Integer.toUnsignedLong(f.getInt(36));
            if (extraSize > MAX_EXTRA) throw new ImageException("Could not open '" + name + "': snapshot " + i + " has too much extra data (" + extraSize + " bytes)");
            long entryLen = 40 + extraSize + idLen + nameLen;
            if (pos - h.snapshotsOffset + entryLen > MAX_TABLE_BYTES || pos + entryLen > fileLength)
                throw new ImageException("Could not open '" + name + "': snapshot table entry " + i + " is past the end of the file or too large");
            ByteBuffer rest = ByteBuffer.allocate((int) (extraSize + idLen + nameLen));
            file.read(pos + 40, rest);
            byte[] extra = new byte[(int) extraSize];
            rest.get(0, extra);
            byte[] id = new byte[idLen], nm = new byte[nameLen];
            rest.get((int) extraSize, id);
            rest.get((int) extraSize + idLen, nm);
            ByteBuffer x = ByteBuffer.wrap(extra);
            long vmState = extraSize >= 8 ? x.getLong(0) : Integer.toUnsignedLong(f.getInt(32));
            long diskSize = extraSize >= 16 ? x.getLong(8) : h.size;
            long icount = extraSize >= 24 ? x.getLong(16) : -1;
            if (h.version >= 3 && extraSize < 16)
                throw new ImageException("Could not open '" + name + "': snapshot " + i + " lacks the disk size a version 3 image must record");
            Qcow2Header.checkTable(name, "Snapshot L1 table", l1Offset, l1Size * 8L, cs, fileLength, l1Size != 0);
            if (Integer.toUnsignedLong(l1Size) * 8 > Qcow2Header.MAX_L1_BYTES)
                throw new ImageException("Could not open '" + name + "': snapshot " + i + " L1 table too large");
            out.add(new Snapshot(new String(id, StandardCharsets.UTF_8), new String(nm, StandardCharsets.UTF_8), l1Offset, l1Size,
                    Integer.toUnsignedLong(f.getInt(16)), Integer.toUnsignedLong(f.getInt(20)), f.getLong(24), vmState, diskSize, icount, extra));
            pos += (entryLen + 7) & ~7L;
        }
        return new SnapshotTable(out);
    }

    /** The table as it is stored (for a writer that rewrites it). */
    byte[] toBytes() {
        int len = 0;
        for (Snapshot s : entries) len += (40 + s.extra().length + utf8(s.id()).length + utf8(s.name()).length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(len);
        for (Snapshot s : entries) {
            int at = b.position();
            byte[] id = utf8(s.id()), nm = utf8(s.name());
            b.putLong(s.l1Offset()).putInt(s.l1Size()).putShort((short) id.length).putShort((short) nm.length)
                    .putInt((int) s.dateSec()).putInt((int) s.dateNsec()).putLong(s.vmClockNsec())
                    .putInt((int) Math.min(s.vmStateSize(), 0xffffffffL)).putInt(s.extra().length)
                    .put(s.extra()).put(id).put(nm);
            b.position(at + ((b.position() - at + 7) & ~7));
        }
        return b.array();
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
