package org.orrery.board.virt;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The boot tests' disk: an 8 MiB raw FAT image holding hello.txt, made with Debian's mkfs.vfat and mcopy. */
public final class FatDisk {
    private FatDisk() { }

    /** Makes {@code dir/disk.img}. */
    public static Path make(Path dir) throws Exception {
        Path img = dir.resolve("disk.img");
        Path txt = dir.resolve("hello.txt");
        Files.writeString(txt, "Hello from a virtio disk\n");
        run("truncate", "-s", "8M", img.toString());
        run("mkfs.vfat", img.toString());
        run("mcopy", "-i", img.toString(), txt.toString(), "::hello.txt");
        return img;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new AssertionError(String.join(" ", cmd) + ": " + out);
    }
}
