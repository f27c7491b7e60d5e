package org.orrery.backend.block.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.backend.testing.TestMachine;
import org.orrery.machine.backend.BlockBackend;
import org.orrery.machine.backend.InternalSnapshots;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * qcow2 internal snapshots made, reverted and deleted through a block node, judged by qemu-img (check must find
 * no error and no leak after every step; its listing and its own snapshot commands must agree with ours).
 */
class InternalSnapshotsTest {
    private final TestMachine m = new TestMachine(new BlockTypes.Node(), new BlockTypes.File(), new BlockTypes.Raw(), new BlockTypes.Qcow2())
            .module(new BlockCommands());
    @TempDir Path dir;

    @BeforeEach void qemuImg() { assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "needs qemu-img"); }

    @AfterEach void close() { m.close(); }

    private Path image(String name, String... options) throws Exception {
        Path img = dir.resolve(name);
        List<String> args = new java.util.ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
        args.addAll(List.of(options));
        args.addAll(List.of(img.toString(), "4M"));
        Qcow2NodeTest.qemuImg(args.toArray(String[]::new));
        return img;
    }

    private InternalSnapshots open(Path img) {
        m.qmp("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"q\",\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\"}}");
        return (InternalSnapshots) m.call(() -> m.tree.resolve("/blockdevs/q"));
    }

    private void closeNode() { m.qmp("blockdev-del", "{\"node-name\":\"q\"}"); }

    private BlockBackend disk(InternalSnapshots s) { return (BlockBackend) s; }

    /** On the machine thread, as the monitor commands call it. */
    private <T> T onMachine(Callable<T> c) { return m.call(c); }

    /** qemu-img check exits 0 only when it finds neither errors nor leaks. */
    private void clean(Path img) throws Exception {
        String out = Qcow2NodeTest.qemuImg("check", img.toString());
        assertTrue(out.contains("No errors were found"), out);
    }

    private JsonNode qemuSnapshots(Path img) throws Exception {
        JsonNode info = TestMachine.JSON.readTree(Qcow2NodeTest.qemuImg("info", "--output=json", img.toString()));
        return info.has("snapshots") ? info.get("snapshots") : TestMachine.JSON.createArrayNode();
    }

    private static byte[] pattern(int seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code length} pseudo-random bytes in uneven pieces, as a state saver would. */
    private static InternalSnapshots.StateWriter state(int seed, long length) {
        return out -> {
            Random r = new Random(seed);
            byte[] piece = new byte[70_001];
            long left = length;
            while (left > 0) {
                int n = (int) Math.min(left, 1 + r.nextInt(piece.length));
                for (int i = 0; i < n; i++) piece[i] = (byte) (i * 31 + seed + left);
                out.write(piece, 0, n);
                if (left > n + 1) { out.write(7); left--; }
                left -= n;
            }
        };
    }

    private static byte[] stateBytes(int seed, long length) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        state(seed, length).writeTo(b);
        return b.toByteArray();
    }

    private byte[] readVmState(InternalSnapshots s, String idOrName) {
        return onMachine(() -> {
            try (InputStream in = s.openVmState(idOrName)) {
                return in == null ? null : in.readAllBytes();
            }
        });
    }

    @Test void createOverwriteRevertDeleteKeepTheImageClean() throws Exception {
        Path img = image("a.qcow2");
        byte[] a0 = pattern(1, 128 << 10), a1 = pattern(2, 5000);
        long stateLength = (3 << 20) + 123;
        InternalSnapshots s = open(img);
        BlockIo.write(m, disk(s), 0, a0);
        BlockIo.write(m, disk(s), 1 << 20, a1);
        long before = System.currentTimeMillis() / 1000;
        InternalSnapshots.Snapshot made = onMachine(() -> s.create("s1", 1_234_567_890_123L, 42, state(9, stateLength)));
        assertEquals("1", made.id());
        assertEquals(stateLength, made.vmStateSize());
        closeNode();
        clean(img);
        JsonNode listed = qemuSnapshots(img);
        assertEquals(1, listed.size(), listed.toString());
        JsonNode s1 = listed.get(0);
        assertEquals("s1", s1.get("name").asText());
        assertEquals(stateLength, s1.get("vm-state-size").asLong());
        assertEquals(1234, s1.get("vm-clock-sec").asLong());
        assertEquals(567_890_123, s1.get("vm-clock-nsec").asLong());
        assertEquals(42, s1.get("icount").asLong());
        assertTrue(Math.abs(s1.get("date-sec").asLong() - before) < 60, s1.toString());
        String list = Qcow2NodeTest.qemuImg("snapshot", "-l", img.toString());
        assertTrue(list.contains("s1") && list.contains("3 MiB") && list.contains("00:20:34.567"), list);

        // the guest overwrites, extends; the snapshot keeps the old data and its state
        InternalSnapshots again = open(img);
        byte[] b0 = pattern(3, 100_000);
        BlockIo.write(m, disk(again), 10, b0);
        BlockIo.write(m, disk(again), 2 << 20, pattern(4, 4096));
        assertArrayEquals(b0, BlockIo.read(m, disk(again), 10, b0.length));
        assertArrayEquals(stateBytes(9, stateLength), readVmState(again, "s1"));
        assertEquals(List.of("s1"), onMachine(() -> again.snapshots().stream().map(InternalSnapshots.Snapshot::name).toList()));
        BlockIo.ok(m, disk(again)::flush);
        closeNode();
        clean(img);

        InternalSnapshots third = open(img);
        onMachine(() -> { third.revert("s1"); return null; });
        assertArrayEquals(a0, BlockIo.read(m, disk(third), 0, a0.length));
        assertArrayEquals(a1, BlockIo.read(m, disk(third), 1 << 20, a1.length));
        assertArrayEquals(new byte[4096], BlockIo.read(m, disk(third), 2 << 20, 4096));
        // writes after the revert copy on write again: the snapshot still reads as it was
        BlockIo.write(m, disk(third), 0, b0);
        onMachine(() -> { third.revert("1"); return null; });
        assertArrayEquals(a0, BlockIo.read(m, disk(third), 0, a0.length));
        closeNode();
        clean(img);
        byte[] expected = new byte[4 << 20];
        System.arraycopy(a0, 0, expected, 0, a0.length);
        System.arraycopy(a1, 0, expected, 1 << 20, a1.length);
        assertArrayEquals(expected, contents(img));

        InternalSnapshots fourth = open(img);
        onMachine(() -> { fourth.delete("s1"); return null; });
        assertTrue(onMachine(fourth::snapshots).isEmpty());
        BlockIo.write(m, disk(fourth), 0, b0);   // held alone again: written in place
        closeNode();
        clean(img);
        assertEquals(0, qemuSnapshots(img).size());
        assertFalse(Qcow2NodeTest.qemuImg("snapshot", "-l", img.toString()).contains("s1"));
        // the freed clusters are used again: another state as large does not grow the file
        long length = Files.size(img);
        InternalSnapshots fifth = open(img);
        onMachine(() -> fifth.create("s3", 0, -1, state(10, stateLength)));
        closeNode();
        clean(img);
        assertTrue(Files.size(img) <= length + (4 << 16), Files.size(img) + " bytes after, " + length + " before");
    }

    private byte[] contents(Path img) throws Exception {
        Path raw = dir.resolve(img.getFileName() + ".raw");
        Qcow2NodeTest.qemuImg("convert", "-O", "raw", img.toString(), raw.toString());
        byte[] b = Files.readAllBytes(raw);
        Files.delete(raw);
        return b;
    }

    @Test void qemuImgAndTheNodeRevertEachOthersSnapshots() throws Exception {
        Path img = image("x.qcow2");
        byte[] a = pattern(5, 200_000), b = pattern(6, 200_000);
        InternalSnapshots s = open(img);
        BlockIo.write(m, disk(s), 65_000, a);
        closeNode();
        Qcow2NodeTest.qemuImg("snapshot", "-c", "fromqemu", img.toString());
        s = open(img);
        InternalSnapshots n = s;
        assertEquals(List.of("fromqemu"), onMachine(() -> n.snapshots().stream().map(InternalSnapshots.Snapshot::name).toList()));
        assertNull(readVmState(n, "fromqemu"), "qemu-img saves no VM state");
        BlockIo.write(m, disk(n), 65_000, b);
        onMachine(() -> { n.revert("fromqemu"); return null; });
        assertArrayEquals(a, BlockIo.read(m, disk(n), 65_000, a.length));
        onMachine(() -> n.create("ours", 5_000_000_000L, -1, state(3, 1 << 20)));
        BlockIo.write(m, disk(n), 65_000, b);
        closeNode();
        clean(img);
        Qcow2NodeTest.qemuImg("snapshot", "-a", "ours", img.toString());
        clean(img);
        assertArrayEquals(a, Arrays.copyOfRange(contents(img), 65_000, 65_000 + a.length));
        Qcow2NodeTest.qemuImg("snapshot", "-d", "fromqemu", img.toString());
        Qcow2NodeTest.qemuImg("snapshot", "-d", "ours", img.toString());
        clean(img);
        assertEquals(0, qemuSnapshots(img).size());
    }

    @Test void aNameTakenIsReplacedAndVersion2ImagesWork() throws Exception {
        Path img = image("v2.qcow2", "-o", "compat=0.10");
        InternalSnapshots s = open(img);
        BlockIo.write(m, disk(s), 0, pattern(7, 4096));
        onMachine(() -> s.create("same", 1, -1, state(1, 70_000)));
        BlockIo.write(m, disk(s), 0, pattern(8, 4096));
        InternalSnapshots.Snapshot second = onMachine(() -> s.create("same", 2, -1, state(2, 10)));
        assertEquals("2", second.id());
        assertEquals(List.of("2"), onMachine(() -> s.snapshots().stream().map(InternalSnapshots.Snapshot::id).toList()));
        assertArrayEquals(stateBytes(2, 10), readVmState(s, "same"));
        BlockIo.write(m, disk(s), 0, pattern(9, 4096));
        onMachine(() -> { s.revert("same"); return null; });
        assertArrayEquals(pattern(8, 4096), BlockIo.read(m, disk(s), 0, 4096));
        closeNode();
        clean(img);
        assertEquals(1, qemuSnapshots(img).size());
    }

    @Test void refusalsNameTheImageAndChangeNothing() throws Exception {
        Path img = image("r.qcow2");
        InternalSnapshots s = open(img);
        onMachine(() -> s.create("kept", 0, -1, null));
        String unknown = assertThrows(IOException.class, () -> onMachineThrowing(() -> { s.revert("nope"); return null; })).getMessage();
        assertTrue(unknown.contains("r.qcow2") && unknown.contains("nope"), unknown);
        assertThrows(IOException.class, () -> onMachineThrowing(() -> { s.delete("nope"); return null; }));
        // a state writer that fails leaves no trace (check finds no leak)
        IOException failed = assertThrows(IOException.class, () -> onMachineThrowing(() -> s.create("broken", 0, -1, out -> {
            out.write(new byte[300_000]);
            throw new IOException("state saver failed");
        })));
        assertEquals("state saver failed", failed.getMessage());
        closeNode();
        clean(img);
        assertEquals(1, qemuSnapshots(img).size());
        m.qmp("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"q\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\",\"read-only\":true}}");
        InternalSnapshots ro = (InternalSnapshots) m.call(() -> m.tree.resolve("/blockdevs/q"));
        String e = assertThrows(IOException.class, () -> onMachineThrowing(() -> ro.create("x", 0, -1, null))).getMessage();
        assertTrue(e.contains("r.qcow2") && e.contains("read-only"), e);
        assertNull(readVmState(ro, "kept"));
        closeNode();
        clean(img);
    }

    @Test void writesStillInFlightAreInTheSnapshot() throws Exception {
        Path img = image("f.qcow2");
        InternalSnapshots s = open(img);
        byte[] data = pattern(11, 2 << 20);
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        // submitted and not waited for: create must let them finish first
        onMachine(() -> {
            for (int off = 0; off < data.length; off += 64 << 10)
                disk(s).write(off, java.nio.ByteBuffer.wrap(data, off, 64 << 10), err -> { if (err != null) failed.incrementAndGet(); });
            return s.create("busy", 0, -1, null);
        });
        BlockIo.write(m, disk(s), 0, new byte[data.length]);
        onMachine(() -> { s.revert("busy"); return null; });
        assertArrayEquals(data, BlockIo.read(m, disk(s), 0, data.length));
        assertEquals(0, failed.get());
        closeNode();
        clean(img);
    }

    @Test void lazyRefcountImagesAndSmallClustersToo() throws Exception {
        Path img = image("lazy.qcow2", "-o", "lazy_refcounts=on,cluster_size=4096");
        InternalSnapshots s = open(img);
        byte[] a = pattern(12, 300_000);
        BlockIo.write(m, disk(s), 4000, a);
        onMachine(() -> s.create("l1", 0, -1, state(4, (5 << 20) + 1)));
        BlockIo.write(m, disk(s), 4000, pattern(13, 300_000));
        onMachine(() -> { s.revert("l1"); return null; });
        assertArrayEquals(a, BlockIo.read(m, disk(s), 4000, a.length));
        assertArrayEquals(stateBytes(4, (5 << 20) + 1), readVmState(s, "l1"));
        onMachine(() -> s.create("l2", 0, -1, null));
        onMachine(() -> { s.delete("l1"); return null; });
        closeNode();
        clean(img);
        assertEquals(1, qemuSnapshots(img).size());
    }

    /** Runs qemu-system-riscv64 on the image with these monitor commands; its monitor output, escapes removed. */
    private static String qemu(Path img, String commands) throws Exception {
        Process p = new ProcessBuilder("qemu-system-riscv64", "-machine", "virt", "-nographic", "-bios", "none", "-serial", "none",
                "-drive", "file=" + img + ",if=none,id=d0", "-device", "virtio-blk-device,drive=d0", "-monitor", "stdio")
                .redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((commands + "\nquit\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "qemu did not quit");
        return out.replaceAll("\u001b\\[[0-9;]*[A-Za-z]", "");
    }

    @Test void qemuLoadsTheStateOfOurSnapshotsAndWeReadItsOwn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-riscv64")), "needs qemu-system-riscv64");
        Path img = image("vm.qcow2");
        String saved = qemu(img, "savevm fromqemu");
        assertFalse(saved.contains("Error"), saved);
        InternalSnapshots s = open(img);
        InternalSnapshots.Snapshot theirs = onMachine(s::snapshots).get(0);
        assertEquals("fromqemu", theirs.name());
        byte[] state = readVmState(s, "fromqemu");
        assertEquals(theirs.vmStateSize(), state.length);
        assertEquals("QEVM", new String(state, 0, 4, java.nio.charset.StandardCharsets.US_ASCII), "QEMU's migration stream magic");
        onMachine(() -> s.create("ours", 5_000_000_000L, -1, out -> out.write(state)));
        onMachine(() -> { s.delete("fromqemu"); return null; });
        closeNode();
        clean(img);
        String loaded = qemu(img, "info snapshots\nloadvm ours\ninfo snapshots");
        assertTrue(loaded.contains("ours") && loaded.contains("00:00:05.000"), loaded);
        assertFalse(loaded.contains("Error"), loaded);
        clean(img);
    }

    /** Like {@link #onMachine} but hands back the IOException the call threw. */
    private <T> T onMachineThrowing(Callable<T> c) throws IOException {
        try {
            return m.call(c);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof IOException io) throw io;
            throw e;
        }
    }
}
