package org.orrery.backend.block.qcow2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The qcow2 header (the first cluster: fixed fields, header extensions, the backing file name), parsed and
 * checked against the file's length so that no later step trusts an offset or a size it did not check.
 */
public final class Qcow2Header {
    static final int MAGIC = 0x514649fb;
    static final int V2_LENGTH = 72;
    static final int V3_LENGTH = 104;
    static final int MIN_CLUSTER_BITS = 9;
    static final int MAX_CLUSTER_BITS = 21;
    /** QEMU's implementation limits, kept so an image that QEMU refuses is refused here too. */
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final int MAX_SNAPSHOTS = 65536;
    static final int MAX_BACKING_NAME = 1023;

    // field offsets for in-place updates
    static final int OFF_SIZE = 24;
    static final int OFF_L1 = 36;              // l1_size (4) then l1_table_offset (8)
    static final int OFF_REFCOUNT_TABLE = 48;  // offset (8) then clusters (4)
    static final int OFF_SNAPSHOTS = 60;       // nb_snapshots (4) then snapshots_offset (8)
    static final int OFF_INCOMPATIBLE = 72;
    static final int OFF_COMPATIBLE = 80;
    static final int OFF_AUTOCLEAR = 88;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 2;
    static final long INCOMPAT_DATA_FILE = 4;
    static final long INCOMPAT_COMPRESSION = 8;
    static final long INCOMPAT_EXTL2 = 16;
    static final long COMPAT_LAZY_REFCOUNTS = 1;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_TABLE = 0x6803f857;
    static final int EXT_BITMAPS = 0x23852875;
    static final int EXT_CRYPTO = 0x0537be77;
    static final int EXT_DATA_FILE = 0x44415441;

    int version;
    long backingFileOffset;
    int backingFileSize;
    int clusterBits;
    long size;
    int cryptMethod;
    int l1Size;
    long l1TableOffset;
    long refcountTableOffset;
    int refcountTableClusters;
    int nbSnapshots;
    long snapshotsOffset;
    long incompatible;
    long compatible;
    long autoclear;
    int refcountOrder = 4;
    int headerLength = V2_LENGTH;
    int compressionType;
    String backingFile;
    String backingFormat;
    /** Feature names from the feature name table, keyed "type:bit". */
    final Map<String, String> featureNames = new LinkedHashMap<>();
    /** Extensions this code does not interpret, kept to be written back unchanged. */
    final List<Map.Entry<Integer, byte[]>> otherExtensions = new ArrayList<>();

    public int version() { return version; }
    public long size() { return size; }
    public int clusterSize() { return 1 << clusterBits; }
    public int refcountBits() { return 1 << refcountOrder; }
    public String backingFile() { return backingFile; }
    public String backingFormat() { return backingFormat; }
    public boolean lazyRefcounts() { return (compatible & COMPAT_LAZY_REFCOUNTS) != 0; }
    public boolean dirty() { return (incompatible & INCOMPAT_DIRTY) != 0; }
    public boolean corrupt() { return (incompatible & INCOMPAT_CORRUPT) != 0; }
    public int snapshotCount() { return nbSnapshots; }

    /** Parses and checks the header in {@code first} (at least the first cluster, or the whole file if shorter). */
    static Qcow2Header parse(ByteBuffer first, long fileLength, String file) throws ImageException {
        ByteBuffer b = first.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (b.remaining() < 4 || b.getInt(0) != MAGIC) throw new ImageException("Could not open '" + file + "': it is not a qcow2 image (no QFI magic)");
        if (b.remaining() < V2_LENGTH) throw new ImageException("Could not open '" + file + "': the qcow2 header is cut short (the file has " + b.remaining() + " bytes)");
        Qcow2Header h = new Qcow2Header();
        h.version = b.getInt(4);
        if (h.version != 2 && h.version != 3) throw new ImageException("Could not open '" + file + "': unsupported qcow2 version " + Integer.toUnsignedString(h.version));
        h.backingFileOffset = b.getLong(8);
        h.backingFileSize = b.getInt(16);
        h.clusterBits = b.getInt(20);
        if (h.clusterBits < MIN_CLUSTER_BITS || h.clusterBits > MAX_CLUSTER_BITS)
            throw new ImageException("Could not open '" + file + "': unsupported cluster size 2^" + Integer.toUnsignedString(h.clusterBits) + " (must be 512 bytes to 2 MiB)");
        h.size = b.getLong(24);
        h.cryptMethod = b.getInt(32);
        h.l1Size = b.getInt(36);
        h.l1TableOffset = b.getLong(40);
        h.refcountTableOffset = b.getLong(48);
        h.refcountTableClusters = b.getInt(56);
        h.nbSnapshots = b.getInt(60);
        h.snapshotsOffset = b.getLong(64);
        int cs = h.clusterSize();
        if (h.version == 3) {
            if (b.remaining() < V3_LENGTH) throw new ImageException("Could not open '" + file + "': the qcow2 header is cut short");
            h.incompatible = b.getLong(72);
            h.compatible = b.getLong(80);
            h.autoclear = b.getLong(88);
            h.refcountOrder = b.getInt(96);
            h.headerLength = b.getInt(100);
            if (h.headerLength < V3_LENGTH || h.headerLength % 8 != 0 || h.headerLength > cs || h.headerLength > b.remaining())
                throw new ImageException("Could not open '" + file + "': qcow2 header length " + Integer.toUnsignedString(h.headerLength) + " is invalid");
            if (h.headerLength > 104) h.compressionType = b.get(104) & 0xff;
        }
        if (h.refcountOrder < 0 || h.refcountOrder > 6)
            throw new ImageException("Could not open '" + file + "': refcount width 2^" + Integer.toUnsignedString(h.refcountOrder) + " bits is invalid (at most 64 bits)");
        h.checkFeatures(file, b);
        if (h.size < 0) throw new ImageException("Could not open '" + file + "': image size " + Long.toUnsignedString(h.size) + " is too large");
        if (h.cryptMethod != 0)
            throw new ImageException("Could not open '" + file + "': encrypted qcow2 images (" + (h.cryptMethod == 1 ? "aes" : h.cryptMethod == 2 ? "luks" : "method " + h.cryptMethod) + ") are not supported");
        // L1 table: big enough for the size, within QEMU's limit, inside the file
        long needed = l1EntriesFor(h.size, h.clusterBits);
        if (Integer.toUnsignedLong(h.l1Size) * 8 > MAX_L1_BYTES) throw new ImageException("Could not open '" + file + "': Active L1 table too large (" + Integer.toUnsignedString(h.l1Size) + " entries)");
        if (h.l1Size < needed) throw new ImageException("Could not open '" + file + "': L1 table is too small (" + h.l1Size + " entries for " + h.size + " bytes)");
        checkTable(file, "Active L1 table", h.l1TableOffset, h.l1Size * 8L, cs, fileLength, h.l1Size > 0);
        long rtBytes = Integer.toUnsignedLong(h.refcountTableClusters) * cs;
        if (rtBytes > MAX_REFCOUNT_TABLE_BYTES) throw new ImageException("Could not open '" + file + "': Reference count table too large (" + Integer.toUnsignedString(h.refcountTableClusters) + " clusters)");
        checkTable(file, "Reference count table", h.refcountTableOffset, rtBytes, cs, fileLength, true);
        if (Integer.toUnsignedLong(h.nbSnapshots) > MAX_SNAPSHOTS) throw new ImageException("Could not open '" + file + "': too many snapshots (" + Integer.toUnsignedString(h.nbSnapshots) + ")");
        if (h.nbSnapshots > 0) checkTable(file, "Snapshot table", h.snapshotsOffset, 40L * h.nbSnapshots, cs, fileLength, true);
        h.readExtensions(b, file);
        if (h.backingFileOffset != 0) {
            if (h.backingFileSize < 0 || h.backingFileSize > MAX_BACKING_NAME)
                throw new ImageException("Could not open '" + file + "': backing file name too long (" + Integer.toUnsignedString(h.backingFileSize) + " bytes)");
            if (h.backingFileOffset < 0 || h.backingFileOffset + h.backingFileSize > Math.min(cs, b.remaining()))
                throw new ImageException("Could not open '" + file + "': backing file name lies outside the header cluster");
            byte[] name = new byte[h.backingFileSize];
            b.get((int) h.backingFileOffset, name);
            h.backingFile = new String(name, StandardCharsets.UTF_8);
            if (h.backingFile.indexOf('\0') >= 0 || h.backingFile.isEmpty()) throw new ImageException("Could not open '" + file + "': the backing file name is invalid");
        }
        return h;
    }

    private void checkFeatures(String file, ByteBuffer b) throws ImageException {
        long unknown = incompatible & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2);
        if ((incompatible & INCOMPAT_DATA_FILE) != 0)
            throw new ImageException("Could not open '" + file + "': qcow2 images with an external data file are not supported");
        if ((incompatible & INCOMPAT_EXTL2) != 0)
            throw new ImageException("Could not open '" + file + "': qcow2 images with extended L2 entries (extended_l2=on) are not supported");
        if ((incompatible & INCOMPAT_COMPRESSION) != 0 || compressionType != 0) {
            String type = compressionType == 1 ? "zstd" : "type " + compressionType;
            throw new ImageException("Could not open '" + file + "': compressed clusters use " + type
                    + ", which is not supported (only zlib/deflate: convert with qemu-img convert -O qcow2 -o compression_type=zlib)");
        }
        if (unknown != 0) {
            // read the feature table first so the message can name them
            try { readExtensions(b, file); } catch (ImageException ignored) { }
            List<String> names = new ArrayList<>();
            for (int bit = 0; bit < 64; bit++)
                if ((unknown & (1L << bit)) != 0) names.add(featureNames.getOrDefault("0:" + bit, "Unknown incompatible feature: " + Long.toHexString(1L << bit)));
            featureNames.clear();
            otherExtensions.clear();
            backingFormat = null;
            throw new ImageException("Could not open '" + file + "': Unsupported qcow2 feature(s): " + String.join(", ", names));
        }
    }

    static long l1EntriesFor(long size, int clusterBits) {
        long l2Entries = 1L << (clusterBits - 3);
        long clusters = Long.divideUnsigned(size + (1L << clusterBits) - 1, 1L << clusterBits);
        return Long.divideUnsigned(clusters + l2Entries - 1, l2Entries);
    }

    static void checkTable(String file, String what, long offset, long bytes, int cs, long fileLength, boolean mustExist) throws ImageException {
        if (!mustExist && bytes == 0) return;
        if (offset <= 0 || (offset & (cs - 1)) != 0)
            throw new ImageException("Could not open '" + file + "': " + what + " offset invalid (0x" + Long.toHexString(offset) + ")");
        if (offset >= fileLength)
            throw new ImageException("Could not open '" + file + "': " + what + " offset invalid (0x" + Long.toHexString(offset)
                    + " is past the end of the file, which has " + fileLength + " bytes)");
    }

    private void readExtensions(ByteBuffer b, String file) throws ImageException {
        int end = (int) Math.min(clusterSize(), b.remaining());
        if (backingFileOffset > 0 && backingFileOffset < end) end = (int) backingFileOffset;
        int pos = headerLength;
        featureNames.clear();
        otherExtensions.clear();
        while (pos + 8 <= end) {
            int type = b.getInt(pos);
            long len = Integer.toUnsignedLong(b.getInt(pos + 4));
            if (type == EXT_END) return;
            if (len > end - pos - 8) throw new ImageException("Could not open '" + file + "': header extension 0x" + Integer.toHexString(type) + " is larger than the header cluster");
            byte[] data = new byte[(int) len];
            b.get(pos + 8, data);
            switch (type) {
                case EXT_BACKING_FORMAT -> backingFormat = new String(data, StandardCharsets.UTF_8);
                case EXT_FEATURE_TABLE -> {
                    for (int i = 0; i + 48 <= data.length; i += 48) {
                        int n = 0;
                        while (n < 46 && data[i + 2 + n] != 0) n++;
                        featureNames.put((data[i] & 0xff) + ":" + (data[i + 1] & 0xff), new String(data, i + 2, n, StandardCharsets.UTF_8));
                    }
                    otherExtensions.add(Map.entry(type, data));
                }
                case EXT_CRYPTO -> throw new ImageException("Could not open '" + file + "': encrypted qcow2 images are not supported");
                default -> otherExtensions.add(Map.entry(type, data));
            }
            pos += 8 + (int) ((len + 7) & ~7L);
        }
    }

    /** Serialises a new image's first cluster: header, extensions (backing format, feature names), backing name. */
    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(clusterSize());
        b.putInt(MAGIC).putInt(version);
        int headerLen = version == 3 ? V3_LENGTH + 8 : V2_LENGTH; // v3: with the compression type field, padded
        b.position(headerLen);
        if (backingFormat != null) putExtension(b, EXT_BACKING_FORMAT, backingFormat.getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<Integer, byte[]> e : otherExtensions) putExtension(b, e.getKey(), e.getValue());
        if (version == 3 && otherExtensions.stream().noneMatch(e -> e.getKey() == EXT_FEATURE_TABLE)) putExtension(b, EXT_FEATURE_TABLE, featureTable());
        b.putInt(EXT_END).putInt(0);
        long backingOffset = 0;
        int backingLen = 0;
        if (backingFile != null) {
            byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
            backingOffset = b.position();
            backingLen = name.length;
            b.put(name);
        }
        b.putLong(8, backingOffset).putInt(16, backingLen).putInt(20, clusterBits).putLong(24, size).putInt(32, 0)
                .putInt(36, l1Size).putLong(40, l1TableOffset).putLong(48, refcountTableOffset).putInt(56, refcountTableClusters)
                .putInt(60, nbSnapshots).putLong(64, snapshotsOffset);
        if (version == 3) {
            b.putLong(72, incompatible).putLong(80, compatible).putLong(88, autoclear).putInt(96, refcountOrder).putInt(100, headerLen);
            b.put(104, (byte) compressionType);
        }
        headerLength = headerLen;
        backingFileOffset = backingOffset;
        backingFileSize = backingLen;
        return b.array();
    }

    private static void putExtension(ByteBuffer b, int type, byte[] data) {
        b.putInt(type).putInt(data.length).put(data);
        b.position(b.position() + ((8 - data.length % 8) % 8));
    }

    private static byte[] featureTable() {
        String[][] features = {{"0", "0", "dirty bit"}, {"0", "1", "corrupt bit"}, {"0", "2", "external data file"},
                {"0", "3", "compression type"}, {"0", "4", "extended L2 entries"}, {"1", "0", "lazy refcounts"},
                {"2", "0", "bitmaps"}, {"2", "1", "raw external data"}};
        ByteBuffer t = ByteBuffer.allocate(48 * features.length);
        for (String[] f : features) {
            int at = t.position();
            t.put(Byte.parseByte(f[0])).put(Byte.parseByte(f[1])).put(f[2].getBytes(StandardCharsets.US_ASCII));
            t.position(at + 48);
        }
        return t.array();
    }
}
