package org.orrery.backend.memory.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code memory-backend-file}: guest RAM mapped from a file (or from a fresh, unlinked file in a directory,
 * as for hugetlbfs). With {@code share=on} the mapping is MAP_SHARED: the file, and every other process
 * mapping it, see the guest's writes; otherwise writes stay private to this process.
 */
final class MemoryBackendFile extends MemoryBackendBase {
    static final Property<String> MEM_PATH = Property.of("mem-path", PropertyTypes.STR).required()
            .description("the file to map, or a directory in which to create an unlinked one");
    static final Property<Boolean> READONLY = Property.of("readonly", PropertyTypes.BOOL).defaultValue(false)
            .description("map the file read-only (the guest cannot write the memory)");
    static final Property<Boolean> DISCARD_DATA = Property.of("discard-data", PropertyTypes.BOOL).defaultValue(false)
            .description("the file's contents need not be kept when the backend goes (accepted; no effect here)");
    static final Property<Long> ALIGN = Property.of("align", PropertyTypes.SIZE).defaultValue(0L)
            .description("alignment of the mapping (accepted; the host page size is always honoured)");

    @Override protected MemorySegment allocate(Arena arena, long size) {
        Path path = Path.of(get(MEM_PATH));
        boolean ro = get(READONLY);
        boolean temporary = Files.isDirectory(path);
        try {
            if (temporary) path = Files.createTempFile(path, "orrery-mem-", ".ram");
            Set<StandardOpenOption> opts = ro ? EnumSet.of(StandardOpenOption.READ)
                    : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            try (FileChannel ch = FileChannel.open(path, opts)) {
                if (ch.size() < size) {
                    if (ro) throw new QomException("mem-path '" + path + "' is smaller (" + ch.size() + " bytes) than size " + size);
                    // sparse extension: the file system allocates blocks only where the guest writes
                    ch.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1);
                }
                FileChannel.MapMode mode = ro ? FileChannel.MapMode.READ_ONLY
                        : get(SHARE) ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.PRIVATE;
                return ch.map(mode, 0, size, arena);
            } finally {
                if (temporary) Files.deleteIfExists(path);
            }
        } catch (AccessDeniedException e) {
            throw new QomException("can't open backing store " + path + " for guest RAM: Permission denied");
        } catch (NoSuchFileException e) {
            throw new QomException("can't open backing store " + path + " for guest RAM: No such file or directory");
        } catch (IOException e) {
            throw new QomException("can't map backing store " + path + " for guest RAM: " + e.getMessage());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // a size no file offset can reach, or a file that cannot be mapped (a FIFO, a device)
            throw new QomException("can't map backing store " + path + " for guest RAM: " + e.getMessage()
                    + " (asked for " + HostMemory.format(size) + ")");
        }
    }
}
