package org.orrery.launcher;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The framework's bundle cache, kept between runs of the same distribution so a start need not install
 * every bundle again and Declarative Services can reuse the component descriptions it read last time.
 *
 * <p>A kept cache must never describe jars other than the ones on disk: its folder is named after a key
 * of every jar of the distribution (name, size and modification time, to the nanosecond), so a changed,
 * added or removed jar selects a new, empty folder (the old ones are deleted when nobody uses them).
 * Each running process holds an exclusive lock on its folder; up to {@link #SLOTS} processes of one
 * distribution each get a kept folder, any more run on a throw-away one. A folder is only reused once
 * the run that filled it has marked it complete.
 */
final class BundleCacheSlot implements AutoCloseable {
    static final int SLOTS = 4;
    private static final String COMPLETE_MARKER = "orrery-complete";

    private final Path folder;
    private final boolean kept;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private BundleCacheSlot(Path folder, boolean kept, FileChannel lockChannel, FileLock lock) {
        this.folder = folder;
        this.kept = kept;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** The folder to give the framework. */
    Path folder() {
        return folder;
    }

    /** Whether the folder holds the bundles a previous run of this distribution installed. */
    boolean reusable() {
        return kept && Files.exists(folder.resolve(COMPLETE_MARKER));
    }

    /** Whether the folder outlives this run. */
    boolean kept() {
        return kept;
    }

    /** Records that the folder now holds every bundle of the distribution, installed and resolved. */
    void markComplete() throws IOException {
        if (kept && !reusable()) Files.writeString(folder.resolve(COMPLETE_MARKER), "");
    }

    /** Empties the folder (a kept folder that could not be used is made afresh). */
    void wipe() throws IOException {
        deleteContents(folder);
    }

    /**
     * A kept folder under {@code root} for the distribution whose jars are {@code jars}, or a throw-away
     * one when the root is not writable or every slot is taken.
     */
    static BundleCacheSlot acquire(Path root, List<Path> jars) throws IOException {
        if (!Boolean.parseBoolean(System.getProperty("orrery.bundle.cache.keep", "true"))) {
            return new BundleCacheSlot(Files.createTempDirectory("orrery-felix-cache-"), false, null, null);
        }
        try {
            Files.createDirectories(root);
            String key = keyOf(jars);
            for (int slot = 0; slot < SLOTS; slot++) {
                Path folder = root.resolve("felix-" + key + "-" + slot);
                FileChannel channel = FileChannel.open(root.resolve("felix-" + key + "-" + slot + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = tryLock(channel);
                if (lock == null) {
                    channel.close();
                    continue;
                }
                Files.createDirectories(folder);
                deleteStale(root, key);
                return new BundleCacheSlot(folder, true, channel, lock);
            }
        } catch (IOException | SecurityException e) {
            // not writable (a read-only installation): start without a kept cache
        }
        return new BundleCacheSlot(Files.createTempDirectory("orrery-felix-cache-"), false, null, null);
    }

    /** A key of the distribution's jars: any change to one of them changes it. */
    static String keyOf(List<Path> jars) throws IOException {
        // two independent checksums, so an accidental match of one after a change is not enough
        CRC32C crc = new CRC32C();
        java.util.zip.CRC32 crc2 = new java.util.zip.CRC32();
        StringBuilder description = new StringBuilder(System.getProperty("java.vm.version", "")).append('\n');
        for (Path jar : jars) {
            BasicFileAttributes attributes = Files.readAttributes(jar, BasicFileAttributes.class);
            description.append(jar.toAbsolutePath()).append(' ').append(attributes.size()).append(' ')
                    .append(attributes.lastModifiedTime().toInstant()).append('\n');
        }
        byte[] bytes = description.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        crc.update(bytes);
        crc2.update(bytes);
        return HexFormat.of().toHexDigits((int) crc.getValue()) + HexFormat.of().toHexDigits((int) crc2.getValue());
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;   // this process holds it already
        }
    }

    /** Deletes the folders of other keys that no process holds. */
    private static void deleteStale(Path root, String key) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "felix-*.lock")) {
            for (Path lockFile : entries) {
                String name = lockFile.getFileName().toString();
                if (name.startsWith("felix-" + key + "-")) continue;
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                    FileLock lock = tryLock(channel);
                    if (lock == null) continue;
                    Path folder = root.resolve(name.substring(0, name.length() - ".lock".length()));
                    if (Files.isDirectory(folder)) {
                        deleteContents(folder);
                        Files.deleteIfExists(folder);
                    }
                    Files.deleteIfExists(lockFile);
                    lock.release();
                } catch (IOException e) {
                    // another process is at it; the next start tries again
                }
            }
        }
    }

    static void deleteContents(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) return;
        try (var paths = Files.walk(folder)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!path.equals(folder)) Files.deleteIfExists(path);
            }
        }
    }

    /** Releases the folder; a throw-away folder is deleted. */
    @Override
    public void close() throws IOException {
        if (kept) {
            lock.release();
            lockChannel.close();
        } else {
            deleteContents(folder);
            Files.deleteIfExists(folder);
        }
    }
}
