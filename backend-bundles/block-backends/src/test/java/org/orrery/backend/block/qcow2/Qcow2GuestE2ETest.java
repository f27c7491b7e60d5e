package org.orrery.backend.block.qcow2;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real guest writing qcow2 images through virtio-blk on ./orrery: killed with SIGKILL in the middle of a
 * write burst (qemu-img check then finds leaked clusters at most, and every round the guest saw flushed is on
 * the disk), run to completion (qemu-img convert reads back exactly what it wrote), and swapping images with
 * QEMU 7.2 both ways. Runs from integration-tests/end-to-end, once the distribution exists.
 */
@Tag("e2e")
class Qcow2GuestE2ETest {
    private static final int ROUNDS = 24;
    private static final int DISK = 64 << 20;
    @TempDir Path dir;

    @BeforeEach void tools() { assumeTrue(GuestDisk.toolsPresent(), "needs riscv64-unknown-elf-gcc, qemu-img and ./orrery"); }

    @Test void sigkillDuringAWriteBurstLosesNothingFlushed() throws Exception {
        crashAndCheck("cluster_size=65536", "", ROUNDS, 4, 15);
    }

    @Test void sigkillWhileCachesEvictAndRefcountStructuresGrow() throws Exception {
        // 512-byte clusters with 64-bit refcounts: a refcount block covers 32 KiB, so blocks are created and the refcount
        // table moves as the guest writes; an L2 cache of 8 tables writes tables back in the middle of the burst
        crashAndCheck("cluster_size=512,refcount_bits=64", ",l2-cache-size=4K,refcount-cache-size=2K", 8, 2, 60);
    }

    @Test void sigkillWithLazyRefcountsIsRepairedWhenOpened() throws Exception {
        Path img = dir.resolve("lazy.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", img.toString(), String.valueOf(DISK));
        int flushed = killDuringBurst(img, "", ROUNDS, 4, 30);
        assertTrue(QemuImg.ok("info", img.toString()).contains("lazy refcounts: true"));
        // Orrery repairs a dirty image when it opens it for writing; the guest then finishes on it
        String console = GuestDisk.runMachine(GuestDisk.machine(false, GuestDisk.build(dir, "WRITE", ROUNDS), img));
        assertTrue(console.contains("done"), console);
        QemuImg.clean(img);
        assertArrayEquals(GuestDisk.expected(ROUNDS, DISK), QemuImg.contents(img, dir), "after the repair (" + flushed + " rounds were flushed before the kill)");
    }

    private void crashAndCheck(String options, String driveOptions, int rounds, int killAfter, int delayMillis) throws Exception {
        Path img = dir.resolve("crash.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", options, img.toString(), String.valueOf(DISK));
        int flushed = killDuringBurst(img, driveOptions, rounds, killAfter, delayMillis);
        QemuImg.Result check = QemuImg.run("check", img.toString());
        System.out.println("qemu-img check after SIGKILL (" + options + ", " + flushed + " rounds flushed), status " + check.status() + ":\n" + check.output());
        // 0: clean, 3: leaked clusters only; corruptions (2) or a failed check (1) fail the test
        assertTrue(check.status() == 0 || check.status() == 3, "qemu-img check after SIGKILL (" + check.status() + "):\n" + check.output());
        assertFalse(check.output().contains("ERROR"), check.output());
        if (check.status() == 3) QemuImg.ok("check", "-q", "-r", "leaks", img.toString());
        QemuImg.clean(img);
        byte[] disk = QemuImg.contents(img, dir);
        int common = GuestDisk.COMMON / GuestDisk.SECTOR;
        for (long s = 0; s < common; s++) {
            long r = GuestDisk.roundOf(disk, s);
            assertTrue(r >= flushed && r <= rounds, "common sector " + s + " holds round " + r + " though round " + flushed + " was flushed");
        }
        for (int round = 1; round <= rounds; round++) {
            long base = (2L * GuestDisk.COMMON + (long) (round - 1) * GuestDisk.FRESH) / GuestDisk.SECTOR;
            for (long s = base; s < base + GuestDisk.FRESH / GuestDisk.SECTOR; s++) {
                long r = GuestDisk.roundOf(disk, s);
                if (round <= flushed) assertEquals(round, r, "sector " + s + " of flushed round " + round);
                else assertTrue(r == 0 || r == round, "sector " + s + " of unflushed round " + round + " holds round " + r);
            }
        }
        // the repaired image takes all of the guest's writes again (default caches) and reads back exactly
        String console = GuestDisk.runMachine(GuestDisk.machine(false, GuestDisk.build(dir, "WRITE", rounds), img));
        assertTrue(console.contains("done"), console);
        QemuImg.clean(img);
        assertArrayEquals(GuestDisk.expected(rounds, DISK), QemuImg.contents(img, dir));
    }

    /** Starts the writing guest, waits until it reports round {@code after} flushed and {@code delayMillis} more, then SIGKILLs ./orrery's JVM. */
    private int killDuringBurst(Path img, String driveOptions, int rounds, int after, int delayMillis) throws Exception {
        Path elf = GuestDisk.build(dir, "WRITE", rounds);
        ProcessBuilder pb = new ProcessBuilder(GuestDisk.machine(false, elf, img, driveOptions)).redirectErrorStream(true);
        pb.environment().put("ORRERY_NO_BUILD", "1");
        Process p = pb.start();   // ./orrery execs the JVM: this process is the emulator itself
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread pump = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) > 0; ) synchronized (out) { out.write(b, 0, n); }
            } catch (IOException ignored) { }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (GuestDisk.lastFlushed(text(out)) < after) {
            if (!p.isAlive() || System.nanoTime() > deadline) { p.destroyForcibly(); throw new AssertionError("the guest never flushed round " + after + ":\n" + text(out)); }
            Thread.sleep(2);
        }
        Thread.sleep(delayMillis);
        p.destroyForcibly();   // SIGKILL, mid-way through the next round's writes
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        pump.join(5000);
        String console = text(out);
        assertFalse(console.contains("done"), "the guest finished before the kill; nothing was in flight:\n" + console);
        return GuestDisk.lastFlushed(console);
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) { return out.toString(StandardCharsets.UTF_8); }
    }

    @Test void imagesWrittenHereAndByQemuReadBackEitherWay() throws Exception {
        assumeTrue(Files.isExecutable(GuestDisk.QEMU), "needs qemu-system-riscv64");
        int rounds = 5;
        Path write = GuestDisk.build(dir, "WRITE", rounds), verify = GuestDisk.build(dir, "VERIFY", rounds);
        byte[] expected = GuestDisk.expected(rounds, DISK);
        for (String options : new String[] {"compat=1.1", "compat=0.10", "cluster_size=512", "cluster_size=2M,refcount_bits=64"}) {
            Path mine = dir.resolve("orrery.qcow2"), theirs = dir.resolve("qemu.qcow2");
            Files.deleteIfExists(mine);
            Files.deleteIfExists(theirs);
            QemuImg.ok("create", "-q", "-f", "qcow2", "-o", options, mine.toString(), String.valueOf(DISK));
            QemuImg.ok("create", "-q", "-f", "qcow2", "-o", options, theirs.toString(), String.valueOf(DISK));
            String o = GuestDisk.runMachine(GuestDisk.machine(false, write, mine));
            assertTrue(o.contains("done"), options + ": " + o);
            QemuImg.clean(mine);
            assertArrayEquals(expected, QemuImg.contents(mine, dir), options + ": written by Orrery, read by qemu-img convert");
            String q = GuestDisk.runMachine(GuestDisk.machine(true, write, theirs));
            assertTrue(q.contains("done"), options + ": QEMU: " + q);
            String v = GuestDisk.runMachine(GuestDisk.machine(false, verify, theirs));
            assertTrue(v.contains("verify ok"), options + ": written by QEMU, read by Orrery: " + v);
            String w = GuestDisk.runMachine(GuestDisk.machine(true, verify, mine));
            assertTrue(w.contains("verify ok"), options + ": written by Orrery, read by QEMU: " + w);
        }
    }
}
