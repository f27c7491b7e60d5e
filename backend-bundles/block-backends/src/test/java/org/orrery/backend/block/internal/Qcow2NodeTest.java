package org.orrery.backend.block.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.backend.testing.TestMachine;
import org.orrery.machine.backend.BlockBackend;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** qcow2 nodes through the commands a client uses: blockdev-add, x-drive-add (-drive), the queries, block_resize. */
class Qcow2NodeTest {
    private final TestMachine m = new TestMachine(new BlockTypes.Node(), new BlockTypes.File(), new BlockTypes.Raw(), new BlockTypes.Qcow2())
            .module(new BlockCommands()).module(new org.orrery.machine.job.JobCommands());
    @TempDir Path dir;

    @BeforeEach void qemuImg() { assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "needs qemu-img"); }

    @AfterEach void close() { m.close(); }

    private BlockBackend node(String name) { return (BlockBackend) m.call(() -> m.tree.resolve("/blockdevs/" + name)); }

    static String qemuImg(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), cmd + ": " + out);
        return out;
    }

    /** base.raw (random), base.qcow2 compressed from it, top.qcow2 over base.qcow2 with one snapshot. */
    private byte[] chain() throws Exception {
        byte[] data = new byte[1 << 20];
        Random r = new Random(4);
        for (int i = 0; i < data.length; i += 4096) Arrays.fill(data, i, i + 4096, (byte) r.nextInt(256));
        Files.write(dir.resolve("base.raw"), data);
        qemuImg("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", dir.resolve("base.raw").toString(), dir.resolve("base.qcow2").toString());
        qemuImg("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", dir.resolve("top.qcow2").toString());
        qemuImg("snapshot", "-c", "s1", dir.resolve("top.qcow2").toString());
        return data;
    }

    @Test void driveOpensTheBackingChainAndReportsItAsQemuDoes() throws Exception {
        byte[] data = chain();
        m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + dir.resolve("top.qcow2") + "\",\"format\":\"qcow2\"}");
        assertArrayEquals(Arrays.copyOfRange(data, 8192, 16384), BlockIo.read(m, node("d0"), 8192, 8192));
        JsonNode nodes = m.qmp("query-named-block-nodes", null);
        assertEquals(4, nodes.size(), nodes.toString());   // top, its file, base, its file
        JsonNode top = null, base = null;
        for (JsonNode n : nodes) {
            if (n.get("node-name").asText().equals("d0")) top = n;
            else if (n.get("drv").asText().equals("qcow2")) base = n;
        }
        assertNotNull(top);
        assertNotNull(base);
        // the members QEMU 7.2 reports for the same chain
        assertEquals("qcow2", top.get("drv").asText());
        assertEquals(1, top.get("backing_file_depth").asInt());
        assertEquals(dir.resolve("base.qcow2").toString(), top.get("backing_file").asText());
        assertTrue(base.get("ro").asBoolean());
        JsonNode image = top.get("image");
        assertEquals(1 << 20, image.get("virtual-size").asLong());
        assertEquals(65536, image.get("cluster-size").asInt());
        assertEquals("base.qcow2", image.get("backing-filename").asText());
        assertEquals(dir.resolve("base.qcow2").toString(), image.get("full-backing-filename").asText());
        assertEquals("qcow2", image.get("backing-filename-format").asText());
        assertEquals("{\"type\":\"qcow2\",\"data\":{\"compat\":\"1.1\",\"compression-type\":\"zlib\",\"lazy-refcounts\":false,"
                + "\"refcount-bits\":16,\"corrupt\":false,\"extended-l2\":false}}", image.get("format-specific").toString());
        assertEquals("s1", image.get("snapshots").get(0).get("name").asText());
        assertEquals("1", image.get("snapshots").get(0).get("id").asText());
        assertEquals(dir.resolve("base.qcow2").toString(), image.get("backing-image").get("filename").asText());
        assertEquals("qcow2", image.get("backing-image").get("format").asText());
        JsonNode block = m.qmp("query-block", null);
        assertEquals("d0", block.get(0).get("device").asText());
        assertEquals("qcow2", block.get(0).get("inserted").get("drv").asText());
    }

    @Test void blockdevAddWithInlineChildrenAndNoBacking() throws Exception {
        byte[] data = chain();
        Path top = dir.resolve("top.qcow2");
        // backing: null, as QEMU takes it: the image alone, its unallocated clusters read as zeros
        m.qmp("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"alone\",\"backing\":null,\"read-only\":true,"
                + "\"file\":{\"driver\":\"file\",\"filename\":\"" + top + "\",\"read-only\":true}}");
        assertArrayEquals(new byte[4096], BlockIo.read(m, node("alone"), 0, 4096));
        assertEquals(0, m.qmp("query-named-block-nodes", null).get(1).get("backing_file_depth").asInt());
        m.qmp("blockdev-del", "{\"node-name\":\"alone\"}");   // it holds a read lock on the image
        // a backing node given by name
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"b\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\""
                + dir.resolve("base.raw") + "\",\"read-only\":true}}");
        m.text("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"t\",\"backing\":\"b\",\"file\":{\"driver\":\"file\",\"filename\":\"" + top + "\"}}");
        assertArrayEquals(Arrays.copyOfRange(data, 0, 4096), BlockIo.read(m, node("t"), 0, 4096));
        String e = assertThrows(QomException.class, () -> m.qmp("blockdev-del", "{\"node-name\":\"b\"}")).getMessage();
        assertTrue(e.contains("in use"), e);
        m.qmp("blockdev-del", "{\"node-name\":\"t\"}");
        m.qmp("blockdev-del", "{\"node-name\":\"b\"}");
    }

    @Test void writesFlushAndResizeLeaveACleanImage() throws Exception {
        Path img = dir.resolve("w.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", img.toString(), "1M");
        m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + img + "\"}");   // probed: qcow2
        byte[] d = "through the qcow2 node".getBytes(StandardCharsets.US_ASCII);
        BlockIo.write(m, node("d0"), 70_000, d);
        BlockIo.ok(m, node("d0")::flush);
        m.qmp("block_resize", "{\"device\":\"d0\",\"size\":4194304}");
        assertEquals(4 << 20, node("d0").size());
        String shrink = assertThrows(QomException.class, () -> m.qmp("block_resize", "{\"node-name\":\"d0\",\"size\":1024}")).getMessage();
        assertTrue(shrink.contains("shrunk"), shrink);
    }

    @Test void snapshotWritesGoNowhere() throws Exception {
        chain();
        Path top = dir.resolve("top.qcow2");
        byte[] before = Files.readAllBytes(top);
        m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + top + "\",\"format\":\"qcow2\",\"snapshot\":\"on\"}");
        BlockIo.write(m, node("d0"), 0, new byte[] {1, 2, 3});
        BlockIo.ok(m, node("d0")::flush);
        assertArrayEquals(new byte[] {1, 2, 3}, BlockIo.read(m, node("d0"), 0, 3));
        assertArrayEquals(before, Files.readAllBytes(top));
    }

    @Test void damagedImagesAreRefusedNamingTheFile() throws Exception {
        Path img = dir.resolve("bad.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", img.toString(), "1M");
        byte[] b = Files.readAllBytes(img);
        b[40] = (byte) 0x7f; // L1 table offset far past the end
        Files.write(img, b);
        String e = assertThrows(QomException.class, () -> m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + img + "\",\"format\":\"qcow2\"}")).getMessage();
        assertTrue(e.contains("bad.qcow2") && e.contains("L1 table"), e);
        assertEquals(0, m.qmp("query-named-block-nodes", null).size(), "nothing is left behind");
        Path loop = dir.resolve("loop.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", "-b", "loop2.qcow2", "-F", "qcow2", "-u", loop.toString(), "1M");
        qemuImg("create", "-q", "-f", "qcow2", "-b", "loop.qcow2", "-F", "qcow2", "-u", dir.resolve("loop2.qcow2").toString(), "1M");
        // loop2 names loop as its backing: opening loop would open loop2, then loop again
        e = assertThrows(QomException.class, () -> m.text("x-drive-add", "{\"id\":\"d1\",\"file\":\"" + loop + "\",\"format\":\"qcow2\"}")).getMessage();
        assertTrue(e.contains("loop") && e.contains("chain"), e);
        assertEquals(0, m.qmp("query-named-block-nodes", null).size(), "nothing is left behind");
    }

    private void awaitConcluded(String job) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            for (JsonNode j : m.qmp("query-jobs", null))
                if (j.get("id").asText().equals(job) && j.get("status").asText().equals("concluded")) {
                    assertFalse(j.has("error"), j.toString());
                    return;
                }
            Thread.sleep(10);
        }
        fail("job " + job + " did not conclude: " + m.qmp("query-jobs", null));
    }

    @Test void blockdevCreateMakesImagesAsQemuDoes() throws Exception {
        Path img = dir.resolve("new.qcow2");
        m.qmp("blockdev-create", "{\"job-id\":\"j0\",\"options\":{\"driver\":\"file\",\"filename\":\"" + img + "\",\"size\":0}}");
        awaitConcluded("j0");
        m.qmp("job-dismiss", "{\"id\":\"j0\"}");
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + img + "\"}");
        m.qmp("blockdev-create", "{\"job-id\":\"j1\",\"options\":{\"driver\":\"qcow2\",\"file\":\"f\",\"size\":67108864,"
                + "\"cluster-size\":4096,\"lazy-refcounts\":true}}");
        awaitConcluded("j1");
        String e = assertThrows(QomException.class, () -> m.qmp("blockdev-create", "{\"job-id\":\"j1\",\"options\":{\"driver\":\"file\",\"filename\":\"x\",\"size\":0}}")).getMessage();
        assertTrue(e.contains("already in use"), e);
        m.qmp("job-dismiss", "{\"id\":\"j1\"}");
        assertEquals(0, m.qmp("query-jobs", null).size());
        m.qmp("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"q\",\"file\":\"f\"}");
        BlockIo.write(m, node("q"), 1 << 20, new byte[] {5, 6, 7});
        BlockIo.ok(m, node("q")::flush);
        m.qmp("blockdev-del", "{\"node-name\":\"q\"}");
        m.qmp("blockdev-del", "{\"node-name\":\"f\"}");
        String info = qemuImg("info", img.toString());
        assertTrue(info.contains("virtual size: 64 MiB") && info.contains("cluster_size: 4096") && info.contains("lazy refcounts: true"), info);
        assertTrue(qemuImg("check", img.toString()).contains("No errors"));
    }
}
