package org.orrery.backend.block.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Image locks as QEMU means them: any number of readers, or one writer, across processes (an OS file lock,
 * shared or exclusive) and within this process (Java refuses overlapping locks in one JVM, so readers of one
 * image share a single OS lock here, counted).
 */
final class ImageLocks {
    private ImageLocks() { }

    /** The locks this process holds, by image; file locks belong to the process, so this is process-wide. */
    private static final Map<Object, Entry> HELD = new HashMap<>();

    private static final class Entry {
        final FileLock lock;
        final boolean shared;
        int users;

        Entry(FileLock lock, boolean shared) { this.lock = lock; this.shared = shared; }
    }

    /** A lock one node holds; release once. */
    static final class Held {
        private final Object key;
        private boolean released;

        Held(Object key) { this.key = key; }

        void release() {
            synchronized (HELD) {
                if (released) return;
                released = true;
                Entry e = HELD.get(key);
                if (e != null && --e.users == 0) {
                    HELD.remove(key);
                    try { if (e.lock.isValid()) e.lock.release(); } catch (IOException ignored) { }
                }
            }
        }
    }

    /** Locks {@code image} (open as {@code channel}) shared or exclusive; null when someone else holds a conflicting lock. */
    static Held acquire(Path image, FileChannel channel, boolean shared) {
        Object key;
        try {
            key = image.toRealPath();
        } catch (IOException e) {
            key = image.toAbsolutePath().normalize();
        }
        synchronized (HELD) {
            Entry e = HELD.get(key);
            if (e != null) {
                if (!(shared && e.shared)) return null;
                e.users++;
                return new Held(key);
            }
            FileLock l;
            try {
                l = channel.tryLock(0, Long.MAX_VALUE, shared);
            } catch (OverlappingFileLockException | IOException ex) {
                l = null;
            }
            if (l == null) return null;
            Entry n = new Entry(l, shared);
            n.users = 1;
            HELD.put(key, n);
            return new Held(key);
        }
    }
}
