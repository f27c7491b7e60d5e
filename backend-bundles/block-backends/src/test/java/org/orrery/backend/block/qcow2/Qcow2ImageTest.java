package org.orrery.backend.block.qcow2;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The qcow2 driver against qemu-img: images either one writes, the other reads and checks. */
class Qcow2ImageTest {
    @TempDir Path dir;

    @BeforeEach void needQemuImg() { assumeTrue(QemuImg.available(), "qemu-img (qemu-utils) is not installed"); }

    /** An image opened on its own file, closed with it. */
    static final class Opened implements AutoCloseable {
        final ChannelFile file;
        final Qcow2Image image;

        Opened(Path p, boolean writable, BackingImage backing) throws IOException {
            file = new ChannelFile(p, writable);
            Qcow2Image i;
            try {
                i = Qcow2Image.open(file, p.toString(), Qcow2Image.Options.defaults(!writable), backing);
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
            image = i;
        }

        @Override public void close() throws IOException {
            try { image.close(); } finally { file.close(); }
        }
    }

    /** A raw file as a backing image. */
    static BackingImage raw(Path p) throws IOException {
        ChannelFile f = new ChannelFile(p, false);
        long size = f.length();
        return new BackingImage() {
            @Override public long size() { return size; }
            @Override public void read(long offset, ByteBuffer dst) throws IOException { f.read(offset, dst); }
        };
    }

    static byte[] readAll(Qcow2Image img) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) img.size());
        img.read(0, b);
        return b.array();
    }

    /** Random writes of random lengths, mirrored in {@code expected}. */
    static void scribble(Qcow2Image img, byte[] expected, Random r, int writes, int maxLen) throws IOException {
        for (int i = 0; i < writes; i++) {
            int len = 1 + r.nextInt(maxLen);
            int at = r.nextInt(expected.length - len);
            byte[] d = new byte[len];
            r.nextBytes(d);
            img.write(at, ByteBuffer.wrap(d));
            System.arraycopy(d, 0, expected, at, len);
        }
    }

    @ParameterizedTest(name = "compat={0} cluster_size={1} refcount_bits={2}")
    @CsvSource({"1.1,65536,16", "0.10,65536,16", "1.1,512,1", "1.1,512,64", "1.1,4096,8", "1.1,2097152,16", "1.1,1024,32", "1.1,512,2", "1.1,2048,4"})
    void writesMadeHereReadBackInQemuImgAndCheckClean(String compat, int clusterSize, int refcountBits) throws Exception {
        Path img = dir.resolve("a.qcow2");
        int size = 8 << 20;
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "compat=" + compat + ",cluster_size=" + clusterSize + ",refcount_bits=" + refcountBits, img.toString(), String.valueOf(size));
        byte[] expected = new byte[size];
        try (Opened o = new Opened(img, true, null)) {
            scribble(o.image, expected, new Random(clusterSize + refcountBits), 200, 70_000);
            o.image.flush();
            assertArrayEquals(expected, readAll(o.image));
        }
        QemuImg.clean(img);
        assertArrayEquals(expected, QemuImg.contents(img, dir));
    }

    @Test void imagesCreatedHereAreWhatQemuImgExpects() throws Exception {
        for (int cs : new int[] {512, 65536, 2 << 20}) {
            Path img = dir.resolve("c" + cs + ".qcow2");
            try (ChannelFile f = new ChannelFile(img, true)) {
                Qcow2Create.create(f, img.toString(), new Qcow2Create.Spec(100L << 20, 3, cs, 16, false, null, null));
            }
            QemuImg.clean(img);
            String info = QemuImg.ok("info", img.toString());
            assertTrue(info.contains("virtual size: 100 MiB") && info.contains("cluster_size: " + cs), info);
            byte[] expected = new byte[100 << 20];
            try (Opened o = new Opened(img, true, null)) {
                scribble(o.image, expected, new Random(cs), 50, 300_000);
            }
            QemuImg.clean(img);
            assertArrayEquals(expected, QemuImg.contents(img, dir));
        }
    }

    @Test void compressedClustersThroughABackingChain() throws Exception {
        Path raw = dir.resolve("base.raw");
        byte[] data = new byte[4 << 20];
        Random r = new Random(7);
        for (int i = 0; i < data.length; i += 512) Arrays.fill(data, i, i + 512, (byte) r.nextInt(4)); // compressible
        Files.write(raw, data);
        Path base = dir.resolve("base.qcow2");
        QemuImg.ok("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), base.toString());
        Path top = dir.resolve("top.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", top.toString());
        byte[] baseSum = Files.readAllBytes(base);
        try (Opened b = new Opened(base, false, null); Opened t = new Opened(top, true, asBacking(b.image))) {
            assertEquals(base.toString(), t.image.header().backingFile());
            assertEquals("qcow2", t.image.header().backingFormat());
            assertArrayEquals(data, readAll(t.image));
            scribble(t.image, data, r, 100, 20_000);
            assertArrayEquals(data, readAll(t.image));
        }
        QemuImg.clean(top);
        assertArrayEquals(data, QemuImg.contents(top, dir));
        assertArrayEquals(baseSum, Files.readAllBytes(base), "the base is untouched");
    }

    @Test void overwritingCompressedClustersFreesThem() throws Exception {
        Path raw = dir.resolve("c.raw");
        byte[] data = new byte[2 << 20];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i / 1000);
        Files.write(raw, data);
        Path img = dir.resolve("c.qcow2");
        QemuImg.ok("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", raw.toString(), img.toString());
        try (Opened o = new Opened(img, true, null)) {
            scribble(o.image, data, new Random(3), 300, 9000);
        }
        QemuImg.clean(img);
        assertArrayEquals(data, QemuImg.contents(img, dir));
    }

    static BackingImage asBacking(Qcow2Image img) {
        return new BackingImage() {
            @Override public long size() { return img.size(); }
            @Override public void read(long offset, ByteBuffer dst) throws IOException { img.read(offset, dst); }
        };
    }

    @Test void rawBackingAndZeroClusters() throws Exception {
        Path raw = dir.resolve("b.raw");
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        Files.write(raw, data);
        Path top = dir.resolve("t.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", raw.toString(), "-F", "raw", top.toString(), String.valueOf(2 << 20));
        QemuImg.ok("resize", "-q", top.toString(), String.valueOf(2 << 20)); // no-op; keeps qemu-img's size
        byte[] expected = new byte[2 << 20];
        System.arraycopy(data, 0, expected, 0, data.length);
        try (Opened o = new Opened(top, true, raw(raw))) {
            assertArrayEquals(expected, readAll(o.image));
            o.image.discard(65536, 3 * 65536);  // zero clusters: the backing must not show through
            Arrays.fill(expected, 65536, 4 * 65536, (byte) 0);
            assertArrayEquals(expected, readAll(o.image));
            o.image.write(65536 + 100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            expected[65636] = 1; expected[65637] = 2; expected[65638] = 3;
            assertArrayEquals(expected, readAll(o.image));
        }
        QemuImg.clean(top);
        assertArrayEquals(expected, QemuImg.contents(top, dir));
    }

    @Test void internalSnapshotsStayIntact() throws Exception {
        Path img = dir.resolve("s.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), String.valueOf(4 << 20));
        byte[] before = new byte[4 << 20];
        try (Opened o = new Opened(img, true, null)) { scribble(o.image, before, new Random(5), 50, 100_000); }
        QemuImg.ok("snapshot", "-c", "snap1", img.toString());
        byte[] after = before.clone();
        try (Opened o = new Opened(img, true, null)) {
            assertEquals(1, o.image.snapshots().size());
            assertEquals("snap1", o.image.snapshots().get(0).name());
            scribble(o.image, after, new Random(6), 80, 100_000);
            assertArrayEquals(after, readAll(o.image));
        }
        QemuImg.clean(img);
        assertArrayEquals(after, QemuImg.contents(img, dir));
        Path snap = dir.resolve("snap.raw");
        QemuImg.ok("convert", "-l", "snapshot.name=snap1", "-O", "raw", img.toString(), snap.toString());
        assertArrayEquals(before, Files.readAllBytes(snap), "the snapshot still holds what it held");
    }

    @Test void refcountTableGrowsAsTheImageDoes() throws Exception {
        Path img = dir.resolve("g.qcow2");
        // 512-byte clusters with 64-bit refcounts: one refcount block covers 32 KiB and the first table 2 MiB
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=64", img.toString(), String.valueOf(16 << 20));
        byte[] expected = new byte[16 << 20];
        new Random(9).nextBytes(expected);
        try (Opened o = new Opened(img, true, null)) {
            for (int at = 0; at < expected.length; at += 1 << 20) o.image.write(at, ByteBuffer.wrap(expected, at, 1 << 20));
        }
        QemuImg.clean(img);
        assertArrayEquals(expected, QemuImg.contents(img, dir));
    }

    @Test void resizeGrowsTheL1Table() throws Exception {
        Path img = dir.resolve("r.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img.toString(), String.valueOf(1 << 20));
        try (Opened o = new Opened(img, true, null)) {
            o.image.write(1000, ByteBuffer.wrap(new byte[] {9}));
            o.image.resize(64L << 20);
            o.image.write((64 << 20) - 1, ByteBuffer.wrap(new byte[] {7}));
        }
        QemuImg.clean(img);
        byte[] c = QemuImg.contents(img, dir);
        assertEquals(64 << 20, c.length);
        assertEquals(9, c[1000]);
        assertEquals(7, c[(64 << 20) - 1]);
    }

    @Test void lazyRefcountsMarkDirtyAndARebuildRepairsACrash() throws Exception {
        Path img = dir.resolve("l.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on,cluster_size=4096", img.toString(), String.valueOf(4 << 20));
        byte[] expected = new byte[4 << 20];
        ChannelFile f = new ChannelFile(img, true);
        Qcow2Image crashed = Qcow2Image.open(f, img.toString(), Qcow2Image.Options.defaults(false), null);
        scribble(crashed, expected, new Random(11), 100, 30_000);
        crashed.flush();
        f.close(); // "killed": never closed, so the dirty bit stays
        assertTrue(QemuImg.ok("info", img.toString()).contains("lazy refcounts: true"));
        try (Opened o = new Opened(img, false, null)) {
            assertTrue(o.image.header().dirty(), "the image is marked dirty while written with lazy refcounts");
            assertArrayEquals(expected, readAll(o.image));
        }
        try (Opened o = new Opened(img, true, null)) {   // repairs on open
            assertArrayEquals(expected, readAll(o.image));
        }
        QemuImg.clean(img);
        assertArrayEquals(expected, QemuImg.contents(img, dir));
    }

    @Test void unsupportedFeaturesAreRefusedInWords() throws Exception {
        Path z = dir.resolve("z.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", z.toString(), "1M");
        IOException e = assertThrows(IOException.class, () -> new Opened(z, false, null).close());
        assertTrue(e.getMessage().contains("z.qcow2") && e.getMessage().contains("zstd"), e.getMessage());
        Path x = dir.resolve("x.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", x.toString(), "1M");
        e = assertThrows(IOException.class, () -> new Opened(x, false, null).close());
        assertTrue(e.getMessage().contains("x.qcow2") && e.getMessage().contains("extended L2"), e.getMessage());
    }

    @Test void damageFoundWhileRunningMarksTheImageCorruptAndStopsWrites() throws Exception {
        Path img = dir.resolve("d.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), "1M");
        try (Opened o = new Opened(img, true, null)) { o.image.write(0, ByteBuffer.wrap(new byte[] {1})); }
        byte[] b = Files.readAllBytes(img);
        ByteBuffer h = ByteBuffer.wrap(b);
        long l1 = h.getLong(40), l2 = h.getLong((int) l1) & Qcow2Image.L1_OFFSET_MASK;
        h.putLong((int) l2, l1 | Qcow2Image.COPIED);   // guest cluster 0 now "lives" in the L1 table
        Files.write(img, b);
        try (Opened o = new Opened(img, true, null)) {
            IOException e = assertThrows(IOException.class, () -> o.image.write(10, ByteBuffer.wrap(new byte[] {2})));
            assertTrue(e.getMessage().contains("overlaps the active L1 table"), e.getMessage());
            e = assertThrows(IOException.class, () -> o.image.write(500_000, ByteBuffer.wrap(new byte[] {3})));
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        } catch (IOException closing) {
            // closing reports that nothing more was written
        }
        IOException e = assertThrows(IOException.class, () -> new Opened(img, true, null).close());
        assertTrue(e.getMessage().contains("marked corrupt") && e.getMessage().contains("d.qcow2"), e.getMessage());
        try (Opened o = new Opened(img, false, null)) { readAll(o.image); }   // read-only still opens, as in QEMU
        assertTrue(QemuImg.ok("info", img.toString()).contains("corrupt: true"));
    }
}
