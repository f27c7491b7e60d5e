package org.orrery.backend.block.internal;

import org.orrery.backend.testing.TestMachine;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.backend.BlockBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class BlockNodeTest {
    private final TestMachine m = new TestMachine(new BlockTypes.Node(), new BlockTypes.File(), new BlockTypes.Raw(), new BlockTypes.Qcow2()).module(new BlockCommands());

    @AfterEach void close() { m.close(); }

    private BlockBackend node(String name) { return (BlockBackend) m.call(() -> m.tree.resolve("/blockdevs/" + name)); }

    private String error(String cmd, String args) { return assertThrows(QomException.class, () -> m.qmp(cmd, args)).getMessage(); }

    static Path image(Path dir, String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Test void fileAndRawNodesReadAndWrite(@TempDir Path dir) throws Exception {
        Path img = image(dir, "x.img", 1 << 20, 1);
        byte[] orig = Files.readAllBytes(img);
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"" + img + "\"}");
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"d0\",\"file\":\"f0\"}");
        BlockBackend d0 = node("d0");
        assertEquals(1 << 20, d0.size());
        assertFalse(d0.isReadOnly());
        assertArrayEquals(Arrays.copyOfRange(orig, 4096, 8192), BlockIo.read(m, d0, 4096, 4096));
        byte[] data = "written through the node".getBytes();
        BlockIo.write(m, d0, 100_000, data);
        BlockIo.ok(m, d0::flush);
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(img), 100_000, 100_000 + data.length));
        BlockIo.ok(m, d -> d0.discard(0, 4096, d));
        Throwable t = BlockIo.run(m, d -> d0.read((1 << 20) - 10, ByteBuffer.allocate(20), d));
        assertTrue(t != null && t.getMessage().contains("out of range"), String.valueOf(t));
    }

    @Test void inlineFileAndTextDialect(@TempDir Path dir) throws Exception {
        Path img = image(dir, "y.img", 65536, 2);
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"d1\",\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\",\"cache\":{\"no-flush\":true}}}");
        // the command line's -blockdev driver=raw,node-name=d2,offset=4096,file.driver=file,file.filename=...,read-only=on
        m.text("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"d2\",\"offset\":\"4096\",\"size\":\"8K\",\"read-only\":\"on\","
                + "\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\",\"read-only\":\"on\",\"locking\":\"off\"}}");
        assertEquals(8192, node("d2").size());
        assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(img), 4096, 4096 + 512), BlockIo.read(m, node("d2"), 0, 512));
        JsonNode nodes = m.qmp("query-named-block-nodes", null);
        assertEquals(4, nodes.size());
        assertTrue(nodes.get(0).get("node-name").asText().startsWith("#block"), nodes.toString());
        assertTrue(nodes.get(0).get("cache").get("no-flush").asBoolean());
        // deleting a node deletes the children it defined inline
        m.qmp("blockdev-del", "{\"node-name\":\"d1\"}");
        assertEquals(2, m.qmp("query-named-block-nodes", null).size());
    }

    @Test void readOnlyRefusesWrites(@TempDir Path dir) throws Exception {
        Path img = image(dir, "ro.img", 65536, 3);
        byte[] orig = Files.readAllBytes(img);
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"ro\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\",\"read-only\":true}}");
        BlockBackend ro = node("ro");
        assertTrue(ro.isReadOnly());
        Throwable t = BlockIo.run(m, d -> ro.write(0, ByteBuffer.wrap(new byte[512]), d));
        assertNotNull(t);
        assertEquals("Block node 'ro' is read-only", t.getMessage());
        assertArrayEquals(orig, Files.readAllBytes(img));
        // a writable format node cannot sit on a read-only file node
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"rof\",\"filename\":\"" + img + "\",\"read-only\":true}");
        assertTrue(error("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"rw\",\"file\":\"rof\"}").contains("read-only"));
    }

    @Test void snapshotDiscardsWrites(@TempDir Path dir) throws Exception {
        Path img = image(dir, "s.img", 300_000, 4);
        byte[] orig = Files.readAllBytes(img);
        m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + img + "\",\"format\":\"raw\",\"snapshot\":\"on\"}");
        BlockBackend d0 = node("d0");
        assertFalse(d0.isReadOnly(), "the guest may write; the writes just do not last");
        byte[] data = new byte[70_000];
        Arrays.fill(data, (byte) 0x5a);
        BlockIo.write(m, d0, 65_000, data); // spans three clusters, two of them partly
        BlockIo.ok(m, d0::flush);
        byte[] seen = BlockIo.read(m, d0, 0, 300_000);
        byte[] expect = orig.clone();
        System.arraycopy(data, 0, expect, 65_000, data.length);
        assertArrayEquals(expect, seen, "reads come from the overlay where written, from the image elsewhere");
        assertArrayEquals(orig, Files.readAllBytes(img), "the image is untouched");
        JsonNode q = m.qmp("query-block", null);
        assertEquals("d0", q.get(0).get("device").asText());
        assertEquals(img.toString(), q.get(0).get("inserted").get("file").asText());
        m.close();
        assertArrayEquals(orig, Files.readAllBytes(img));
    }

    @Test void driveAddLikeDashDrive(@TempDir Path dir) throws Exception {
        Path img = image(dir, "d.img", 1 << 20, 5);
        JsonNode r = m.text("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + img + "\",\"format\":\"raw\",\"readonly\":\"on\",\"cache\":\"unsafe\"}");
        assertEquals("d0", r.get("node-name").asText());
        JsonNode q = m.qmp("query-block", null);
        assertEquals(1, q.size());
        JsonNode b = q.get(0);
        assertEquals("d0", b.get("device").asText());
        assertFalse(b.get("removable").asBoolean());
        assertEquals("unknown", b.get("type").asText());
        JsonNode ins = b.get("inserted");
        assertTrue(ins.get("ro").asBoolean());
        assertEquals("raw", ins.get("drv").asText());
        assertEquals(1 << 20, ins.get("image").get("virtual-size").asLong());
        assertEquals("raw", ins.get("image").get("format").asText());
        assertTrue(ins.get("cache").get("no-flush").asBoolean());
        assertTrue(error("blockdev-del", "{\"node-name\":\"d0\"}").contains("not owned by the monitor"));
        assertTrue(error("x-drive-add", "{\"id\":\"d0\",\"file\":\"" + img + "\",\"format\":\"raw\"}").contains("already exists"));
        assertTrue(error("x-drive-add", "{\"id\":\"d9\",\"file\":\"" + img + "\",\"format\":\"qcow2\",\"readonly\":true}").contains("not a qcow2 image"));
        assertTrue(error("x-drive-add", "{\"id\":\"d9\",\"file\":\"" + img + "\",\"format\":\"vmdk\"}").contains("invalid format"));
        Path qcow = dir.resolve("q.img");
        Files.write(qcow, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
        assertTrue(error("x-drive-add", "{\"id\":\"d8\",\"file\":\"" + qcow + "\"}").contains("qcow2 header is cut short"));
        assertNull(m.call(() -> m.tree.resolve("/blockdevs/#d8-file")), "nothing left behind");
    }

    @Test void deletionIsRefusedWhileUsed(@TempDir Path dir) throws Exception {
        Path img = image(dir, "u.img", 65536, 6);
        Property<QObject> drive = Property.of("drive", PropertyTypes.link("block-node", QObject.class, "/blockdevs"));
        TypeDescription dev = TypeDescription.named("test-blk").property(drive).creates(QObject::new);
        m.registry.add(dev, dev, "test");
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f0\",\"filename\":\"" + img + "\"}");
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"d0\",\"file\":\"f0\"}");
        assertTrue(error("blockdev-del", "{\"node-name\":\"f0\"}").contains("in use (by /blockdevs/d0.file)"));
        m.call(() -> {
            QObject blk = m.tree.createChild(m.tree.container("/machine/peripheral"), "vd0", "test-blk");
            blk.setProperty("drive", Value.ofText("drive", "d0"));
            return null;
        });
        assertTrue(error("blockdev-del", "{\"node-name\":\"d0\"}").contains("/machine/peripheral/vd0.drive"));
        JsonNode q = m.qmp("query-block", null);
        assertEquals(1, q.size());
        assertEquals("", q.get(0).get("device").asText());
        assertEquals("/machine/peripheral/vd0", q.get(0).get("qdev").asText());
        m.call(() -> { m.tree.delete(m.tree.resolve("/machine/peripheral/vd0"), false); return null; });
        m.qmp("blockdev-del", "{\"node-name\":\"d0\"}");
        m.qmp("blockdev-del", "{\"node-name\":\"f0\"}");
        assertEquals(0, m.qmp("query-named-block-nodes", null).size());
        assertTrue(error("blockdev-del", "{\"node-name\":\"f0\"}").contains("Failed to find node"));
    }

    @Test void badOptionsAreClearErrors(@TempDir Path dir) throws Exception {
        Path img = image(dir, "b.img", 4096, 7);
        assertEquals("Could not open '" + dir.resolve("none.img") + "': No such file or directory",
                error("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + dir.resolve("none.img") + "\"}"));
        assertEquals("Parameter 'bogus' is unexpected", error("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + img + "\",\"bogus\":1}"));
        assertTrue(error("blockdev-add", "{\"driver\":\"vmdk\",\"node-name\":\"f\"}").contains("'vmdk'"));
        String noFile = error("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"f\"}");
        assertTrue(noFile.contains("file"), noFile);
        assertEquals("'node-name' must be specified for the root node", error("blockdev-add", "{\"driver\":\"file\",\"filename\":\"" + img + "\"}"));
        assertEquals("Invalid node-name: '1x'", error("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"1x\",\"filename\":\"" + img + "\"}"));
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + img + "\"}");
        assertEquals("Duplicate nodes with node-name='f'", error("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + img + "\"}"));
        // the image is locked for writing: a second writer is refused
        String e = error("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"g\",\"filename\":\"" + img + "\"}");
        assertTrue(e.startsWith("Failed to get \"write\" lock"), e);
        assertTrue(error("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"r\",\"file\":\"f\",\"offset\":8192}").contains("has to be smaller"));
        assertTrue(error("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"r\",\"file\":{\"driver\":\"file\"}}").contains("'filename' is required"));
        assertEquals(1, m.qmp("query-named-block-nodes", null).size(), "failed adds leave nothing behind");
    }

    @Test void ioThreadsEndWithTheNode(@TempDir Path dir) throws Exception {
        Path img = image(dir, "t.img", 65536, 8);
        m.qmp("blockdev-add", "{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + img + "\"}");
        BlockIo.read(m, node("f"), 0, 512);
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("block-f-io-")));
        m.qmp("blockdev-del", "{\"node-name\":\"f\"}");
        long end = System.currentTimeMillis() + 5000;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith("block-f-io-"))) {
            assertTrue(System.currentTimeMillis() < end, "I/O threads still alive");
            Thread.sleep(10);
        }
    }

    /** Writes, flushes and prints "flushed" in a child JVM that is then SIGKILLed: the data must be in the file. */
    @Test void flushedDataSurvivesSigkill(@TempDir Path dir) throws Exception {
        Path img = dir.resolve("durable.img");
        Files.write(img, new byte[4 << 20]);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DurabilityMain.class.getName(), img.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            do {
                line = r.readLine();
                assertNotNull(line, "child ended before flushing");
            } while (!line.equals("flushed"));
            p.destroyForcibly();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        }
        assertArrayEquals(DurabilityMain.pattern(), Arrays.copyOfRange(Files.readAllBytes(img), 1 << 20, (1 << 20) + DurabilityMain.pattern().length));
    }
}
