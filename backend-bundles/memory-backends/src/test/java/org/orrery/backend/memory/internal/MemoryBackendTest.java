package org.orrery.backend.memory.internal;

import org.orrery.backend.testing.TestMachine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.backend.MemoryBackend;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;

class MemoryBackendTest {
    private final TestMachine m = new TestMachine(new MemoryTypes.Base(), new MemoryTypes.Ram(), new MemoryTypes.File());

    @AfterEach void close() { m.close(); }

    private MemoryBackend backend(String id) {
        QObject o = m.call(() -> m.tree.resolve("/objects/" + id));
        assertNotNull(o, id);
        return (MemoryBackend) o;
    }

    private static long rssKiB() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        return -1;
    }

    @Test void ramLargerThan2GiBIsLazyAndZeroFilled() throws Exception {
        long before = rssKiB();
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"ram0\",\"size\":" + (3L << 30) + "}");
        MemoryBackend b = backend("ram0");
        MemorySegment s = b.segment();
        assertEquals(3L << 30, s.byteSize());
        assertEquals(3L << 30, b.size());
        long top = (3L << 30) - 8;
        assertEquals(0L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, top));
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, top, 0x1122334455667788L);
        s.set(ValueLayout.JAVA_BYTE, (2L << 30) + 5, (byte) 7);
        assertEquals(0x1122334455667788L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, top));
        assertEquals(7, s.get(ValueLayout.JAVA_BYTE, (2L << 30) + 5));
        long grown = rssKiB() - before;
        assertTrue(grown < 256 * 1024, "3 GiB of guest RAM must not be touched up front; RSS grew by " + grown + " KiB");
        assertEquals(3L << 30, m.qmp("qom-get", "{\"path\":\"/objects/ram0\",\"property\":\"size\"}").longValue());
        m.qmp("object-del", "{\"id\":\"ram0\"}");
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0), "memory is released on delete");
    }

    @Test void sizeIsFrozenAfterCreation() {
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"r\",\"size\":1048576}");
        QomException e = assertThrows(QomException.class, () -> m.qmp("qom-set", "{\"path\":\"/objects/r\",\"property\":\"size\",\"value\":2097152}"));
        assertTrue(e.getMessage().contains("size"), e.getMessage());
        assertEquals(1048576, m.qmp("qom-get", "{\"path\":\"/objects/r\",\"property\":\"size\"}").longValue());
        assertTrue(m.qmp("qom-get", "{\"path\":\"/objects/r\",\"property\":\"dump\"}").booleanValue());
    }

    @Test void textDialectWithSuffixesAndPrealloc() {
        m.text("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"r\",\"size\":\"8M\",\"prealloc\":\"on\",\"merge\":\"off\"}");
        assertEquals(8L << 20, backend("r").size());
        assertFalse(m.qmp("qom-get", "{\"path\":\"/objects/r\",\"property\":\"merge\"}").booleanValue());
        assertTrue(m.qmp("qom-get", "{\"path\":\"/objects/r\",\"property\":\"prealloc\"}").booleanValue());
    }

    @Test void missingOrZeroSizeIsRefusedAndLeavesNothing() {
        QomException e = assertThrows(QomException.class, () -> m.qmp("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"r\"}"));
        assertTrue(e.getMessage().contains("'size' is required"), e.getMessage());
        assertThrows(QomException.class, () -> m.qmp("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"r\",\"size\":0}"));
        assertNull(m.call(() -> m.tree.resolve("/objects/r")));
        assertThrows(QomException.class, () -> m.qmp("object-add", "{\"qom-type\":\"memory-backend\",\"id\":\"r\",\"size\":4096}"));
    }

    @Test void sharedFileMappingIsVisibleThroughTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("guest.ram");
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-file\",\"id\":\"mf\",\"size\":4194304,\"share\":true,\"mem-path\":\"" + f + "\"}");
        MemorySegment s = backend("mf").segment();
        assertEquals(4L << 20, s.byteSize());
        assertEquals(4L << 20, Files.size(f));
        byte[] msg = "guest memory, seen from outside".getBytes();
        MemorySegment.copy(msg, 0, s, ValueLayout.JAVA_BYTE, 123_456, msg.length);
        try (FileChannel other = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.allocate(msg.length);
            other.read(bb, 123_456);
            assertArrayEquals(msg, bb.array());
        }
        // and the other way round: the file's writer changes what the guest sees
        try (FileChannel other = FileChannel.open(f, StandardOpenOption.WRITE)) {
            other.write(ByteBuffer.wrap(new byte[] {42}), 4096);
        }
        assertEquals(42, s.get(ValueLayout.JAVA_BYTE, 4096));
        m.qmp("object-del", "{\"id\":\"mf\"}");
        assertEquals(4L << 20, Files.size(f), "the file stays after the backend goes");
    }

    @Test void privateFileMappingLeavesTheFileAlone(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("priv.ram");
        Files.write(f, new byte[8192]);
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-file\",\"id\":\"mp\",\"size\":8192,\"mem-path\":\"" + f + "\"}");
        MemorySegment s = backend("mp").segment();
        s.set(ValueLayout.JAVA_BYTE, 10, (byte) 99);
        assertEquals(99, s.get(ValueLayout.JAVA_BYTE, 10));
        assertEquals(0, Files.readAllBytes(f)[10]);
    }

    @Test void directoryMemPathCreatesAnUnlinkedFile(@TempDir Path dir) throws Exception {
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-file\",\"id\":\"md\",\"size\":65536,\"share\":true,\"mem-path\":\"" + dir + "\"}");
        backend("md").segment().set(ValueLayout.JAVA_INT, 0, 5);
        try (var list = Files.list(dir)) { assertEquals(0, list.count()); }
    }

    @Test void unusableMemPathIsAClearError(@TempDir Path dir) {
        QomException e = assertThrows(QomException.class, () -> m.qmp("object-add",
                "{\"qom-type\":\"memory-backend-file\",\"id\":\"x\",\"size\":4096,\"mem-path\":\"" + dir.resolve("no/such/dir/f") + "\"}"));
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
        assertNull(m.call(() -> m.tree.resolve("/objects/x")));
    }

    @Test void mappedBackendKeepsItsMemoryWhenDeleted() {
        m.qmp("object-add", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"r\",\"size\":65536}");
        MemoryBackend b = backend("r");
        b.setMapped(true);
        MemorySegment s = b.segment();
        m.qmp("object-del", "{\"id\":\"r\"}");
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // still valid: the guest is never left with freed RAM
    }
}
