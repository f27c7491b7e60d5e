package org.orrery.backend.block.qcow2;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Damaged and hostile images: header fields, the L1, L2, refcount and snapshot tables overwritten with random
 * values, huge values, and offsets pointing back into the metadata (loops). Each is opened, read through,
 * written and flushed: the only acceptable failures are IOExceptions (a refusal naming the file at open, an
 * I/O error on the request later); no other exception, no hang, no memory exhaustion.
 */
class Qcow2FuzzTest {
    private static final int CASES = Integer.getInteger("orrery.qcow2.fuzz.cases", 400);
    private static final long SEED = Long.getLong("orrery.qcow2.fuzz.seed", 23);
    @TempDir Path dir;

    /** Damage found while running is logged as a warning: expected here by the hundred, so kept off the test output. */
    private final java.util.logging.Logger imageLog = java.util.logging.Logger.getLogger(Qcow2Image.class.getName());

    @BeforeEach void needQemuImg() {
        assumeTrue(QemuImg.available(), "qemu-img (qemu-utils) is not installed");
        imageLog.setLevel(java.util.logging.Level.SEVERE);
    }

    @org.junit.jupiter.api.AfterEach void restoreLog() { imageLog.setLevel(null); }

    /** Seed images: plain, compressed, with a snapshot, version 2, small clusters, lazy refcounts. */
    private List<Path> seeds() throws Exception {
        List<Path> out = new ArrayList<>();
        Path raw = dir.resolve("seed.raw");
        byte[] data = new byte[2 << 20];
        Random r = new Random(1);
        for (int i = 0; i < data.length; i += 4096) if (r.nextBoolean()) java.util.Arrays.fill(data, i, i + 4096, (byte) r.nextInt(256));
        Files.write(raw, data);
        String[][] variants = {{"-o", "compat=1.1"}, {"-c", "-o", "compat=1.1"}, {"-o", "compat=0.10"},
                {"-o", "cluster_size=512,refcount_bits=8"}, {"-o", "lazy_refcounts=on,cluster_size=4096"}};
        for (int v = 0; v < variants.length; v++) {
            Path p = dir.resolve("seed" + v + ".qcow2");
            List<String> args = new ArrayList<>(List.of("convert", "-q", "-f", "raw", "-O", "qcow2"));
            args.addAll(List.of(variants[v]));
            args.addAll(List.of(raw.toString(), p.toString()));
            QemuImg.ok(args.toArray(String[]::new));
            out.add(p);
        }
        QemuImg.ok("snapshot", "-c", "s1", out.get(0).toString());
        return out;
    }

    /** Offsets of the metadata structures worth hitting. */
    private static List<Long> targets(byte[] img) {
        ByteBuffer b = ByteBuffer.wrap(img);
        List<Long> t = new ArrayList<>(List.of(0L, 8L, 16L, 20L, 24L, 32L, 36L, 40L, 48L, 56L, 60L, 64L, 72L, 80L, 88L, 96L, 100L, 104L, 112L));
        long l1 = b.getLong(40), rt = b.getLong(48), snaps = b.getLong(64);
        for (long base : new long[] {l1, rt, snaps}) if (base > 0 && base + 16 < img.length) { t.add(base); t.add(base + 8); }
        if (l1 > 0 && l1 + 8 <= img.length) {
            long l2 = b.getLong((int) l1) & 0x00fffffffffffe00L;
            if (l2 > 0 && l2 + 64 < img.length) for (int i = 0; i < 8; i++) t.add(l2 + i * 8L);
        }
        if (rt > 0 && rt + 8 <= img.length) {
            long block = b.getLong((int) rt);
            if (block > 0 && block + 16 < img.length) { t.add(block); t.add(block + 2); t.add(block + 8); }
        }
        return t;
    }

    private static void mutate(byte[] img, Random r, List<Long> targets) {
        int n = 1 + r.nextInt(3);
        ByteBuffer b = ByteBuffer.wrap(img);
        long l1 = b.getLong(40), rt = b.getLong(48);
        for (int k = 0; k < n; k++) {
            int at = (int) (long) targets.get(r.nextInt(targets.size()));
            if (at + 8 > img.length) continue;
            long value = switch (r.nextInt(8)) {
                case 0 -> r.nextLong();                                  // garbage
                case 1 -> -1L;                                           // huge
                case 2 -> Long.MAX_VALUE;
                case 3 -> 0;                                             // missing
                case 4 -> l1 | (1L << 63);                               // points at the L1 table: a loop
                case 5 -> rt;                                            // points at the refcount table
                case 6 -> 1L << (9 + r.nextInt(40));                      // a power of two, often past the end
                default -> b.getLong(at) ^ (1L << r.nextInt(64));        // one flipped bit
            };
            if (r.nextBoolean() && at % 8 == 0) b.putLong(at, value);
            else b.putInt(at, (int) value);
        }
    }

    @Test void damagedImagesAreRefusedOrFailRequestsButNeverThrowAnythingElse() throws Exception {
        List<Path> seeds = seeds();
        Random r = new Random(SEED);
        int refused = 0, opened = 0, requestErrors = 0;
        for (int i = 0; i < CASES; i++) {
            Path seed = seeds.get(i % seeds.size());
            byte[] img = Files.readAllBytes(seed);
            mutate(img, r, targets(img));
            Path p = dir.resolve("case.qcow2");
            Files.write(p, img);
            boolean writable = r.nextBoolean();
            long caseSeed = r.nextLong();
            int[] outcome = new int[1];
            String label = "case " + i + " (seed image " + seed.getFileName() + ", writable " + writable + ")";
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> { outcome[0] = exercise(p, writable, new Random(caseSeed), label); }, label);
            switch (outcome[0]) {
                case 0 -> refused++;
                case 1 -> opened++;
                default -> requestErrors++;
            }
        }
        System.out.println("qcow2 fuzz: " + CASES + " damaged images, " + refused + " refused at open, " + opened + " used without error, "
                + requestErrors + " opened with failing requests");
        assertTrue(refused > CASES / 10 && opened + requestErrors > CASES / 10, "the mutations should both break and spare images");
    }

    /** 0: refused at open, 1: everything worked, 2: some request failed with an IOException. */
    private static int exercise(Path p, boolean writable, Random r, String label) {
        Qcow2ImageTest.Opened o;
        try {
            o = new Qcow2ImageTest.Opened(p, writable, null);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (!m.contains(p.toString())) fail(label + ": the refusal does not name the file: " + m);
            return 0;
        } catch (Throwable t) {
            throw new AssertionError(label + ": opening threw " + t, t);
        }
        boolean failed = false;
        try (o) {
            Qcow2Image img = o.image;
            long size = Math.min(img.size(), 8 << 20);
            ByteBuffer chunk = ByteBuffer.allocate(65536);
            for (long at = 0; at < size; at += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), size - at));
                try { img.read(at, chunk); } catch (IOException e) { failed = true; }
            }
            if (writable && size > 0) {
                for (int k = 0; k < 8; k++) {
                    int len = 1 + r.nextInt(20000);
                    long at = (long) (r.nextDouble() * Math.max(1, size - len));
                    if (at + len > size) continue;
                    byte[] d = new byte[len];
                    r.nextBytes(d);
                    try { img.write(at, ByteBuffer.wrap(d)); } catch (IOException e) { failed = true; }
                }
                try { img.flush(); } catch (IOException e) { failed = true; }
            }
        } catch (IOException e) {
            failed = true;   // closing may report what flushing found
        } catch (Throwable t) {
            throw new AssertionError(label + ": using the image threw " + t, t);
        }
        return failed ? 2 : 1;
    }
}
