package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleCacheSlotTest {
    @TempDir
    Path temp;

    private List<Path> jars(String... names) throws IOException {
        List<Path> jars = new ArrayList<>();
        for (String name : names) jars.add(Files.writeString(temp.resolve(name), "content of " + name));
        return jars;
    }

    @Test
    void keyChangesWhenAJarIsRewrittenAddedOrRemoved() throws IOException {
        List<Path> jars = jars("a.jar", "b.jar");
        String before = BundleCacheSlot.keyOf(jars);
        assertEquals(before, BundleCacheSlot.keyOf(jars), "the same jars give the same key");

        Files.writeString(jars.get(1), "content of b.jar, rebuilt");
        assertNotEquals(before, BundleCacheSlot.keyOf(jars), "a rewritten jar");

        List<Path> more = new ArrayList<>(jars);
        more.add(Files.writeString(temp.resolve("c.jar"), "c"));
        assertNotEquals(BundleCacheSlot.keyOf(jars), BundleCacheSlot.keyOf(more), "an added jar");
        assertNotEquals(BundleCacheSlot.keyOf(jars), BundleCacheSlot.keyOf(jars.subList(0, 1)), "a removed jar");
    }

    @Test
    void keyChangesWhenOnlyTheModificationTimeChanges() throws IOException {
        List<Path> jars = jars("a.jar");
        String before = BundleCacheSlot.keyOf(jars);
        Files.setLastModifiedTime(jars.getFirst(), FileTime.fromMillis(Files.getLastModifiedTime(jars.getFirst()).toMillis() + 1));
        assertNotEquals(before, BundleCacheSlot.keyOf(jars));
    }

    @Test
    void aFolderIsReusedOnlyAfterTheRunThatFilledItMarkedItComplete() throws IOException {
        Path root = temp.resolve("cache");
        List<Path> jars = jars("a.jar");
        try (BundleCacheSlot first = BundleCacheSlot.acquire(root, jars)) {
            assertTrue(first.kept());
            assertFalse(first.reusable(), "a new folder holds nothing yet");
        }
        try (BundleCacheSlot interrupted = BundleCacheSlot.acquire(root, jars)) {
            assertFalse(interrupted.reusable(), "the first run ended before marking it complete");
            interrupted.markComplete();
        }
        try (BundleCacheSlot next = BundleCacheSlot.acquire(root, jars)) {
            assertTrue(next.reusable());
        }
    }

    @Test
    void concurrentRunsGetFoldersOfTheirOwnAndTheLastOnesAThrowAwayFolder() throws IOException {
        Path root = temp.resolve("cache");
        List<Path> jars = jars("a.jar");
        List<BundleCacheSlot> held = new ArrayList<>();
        try {
            for (int i = 0; i < BundleCacheSlot.SLOTS; i++) {
                BundleCacheSlot slot = BundleCacheSlot.acquire(root, jars);
                assertTrue(slot.kept());
                for (BundleCacheSlot other : held) assertNotEquals(other.folder(), slot.folder());
                held.add(slot);
            }
            try (BundleCacheSlot extra = BundleCacheSlot.acquire(root, jars)) {
                assertFalse(extra.kept());
                assertFalse(extra.folder().startsWith(root), extra.folder().toString());
            }
        } finally {
            for (BundleCacheSlot slot : held) slot.close();
        }
    }

    @Test
    void aChangedJarSelectsAnEmptyFolderAndTheOldOneGoes() throws IOException {
        Path root = temp.resolve("cache");
        List<Path> jars = jars("a.jar");
        Path old;
        try (BundleCacheSlot slot = BundleCacheSlot.acquire(root, jars)) {
            Files.writeString(slot.folder().resolve("bundle1"), "cached");
            slot.markComplete();
            old = slot.folder();
        }
        Files.writeString(jars.getFirst(), "rebuilt");
        try (BundleCacheSlot slot = BundleCacheSlot.acquire(root, jars)) {
            assertNotEquals(old, slot.folder());
            assertFalse(slot.reusable());
            assertFalse(Files.exists(old), "the folder of the old jars is deleted");
        }
    }

    @Test
    void anUnwritableRootGivesAThrowAwayFolderThatIsDeletedAfterwards() throws IOException {
        Path notADirectory = Files.writeString(temp.resolve("file"), "x");
        Path folder;
        try (BundleCacheSlot slot = BundleCacheSlot.acquire(notADirectory.resolve("cache"), jars("a.jar"))) {
            assertFalse(slot.kept());
            folder = slot.folder();
            assertTrue(Files.isDirectory(folder));
        }
        assertFalse(Files.exists(folder));
    }
}
