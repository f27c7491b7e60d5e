package org.orrery.guests.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest's kernel, initramfs and disk: built (or found in the cache) by the scripts under guests/, so
 * the test boots exactly what a developer gets from them.
 */
final class GuestImages {
    /** What the init reads from the disk (guests/init/init.c: DISK_INPUT, DISK_INPUT_TEXT). */
    static final String INPUT_FILE = "input.txt";
    static final String INPUT_TEXT = "Orrery disk input: the quick brown fox jumps over the lazy dog.\n";
    static final String PATTERN_FILE = "pattern.bin";
    static final int PATTERN_SIZE = 1 << 20;
    /** What the init writes back (DISK_OUTPUT, DISK_OUTPUT_TEXT). */
    static final String OUTPUT_FILE = "written-by-guest.txt";
    static final String OUTPUT_TEXT = "Orrery guest init wrote this file through virtio-blk.\n";

    private GuestImages() { }

    static Path root() {
        return Path.of(System.getProperty("orrery.root", "../..")).toAbsolutePath().normalize();
    }

    /** Runs build-kernel.sh: the Image path (a cached build returns at once; a fresh one takes minutes). */
    static Path kernel() throws IOException, InterruptedException {
        return Path.of(script(root().resolve("guests/linux/build-kernel.sh"), 60));
    }

    static Path initramfs() throws IOException, InterruptedException {
        return Path.of(script(root().resolve("guests/init/build-initramfs.sh"), 5));
    }

    /** The byte at offset i of the pattern file (guests/init/init.c: pattern_byte). */
    static byte patternByte(long i) {
        long x = ((i * 2654435761L) & 0xffffffffL) >>> 24;
        return (byte) (x ^ i);
    }

    /** A 16 MiB ext2 image made with mke2fs -d from the files the init expects. */
    static Path disk(Path dir) throws IOException, InterruptedException {
        Path content = dir.resolve("disk-content");
        Files.createDirectories(content);
        Files.writeString(content.resolve(INPUT_FILE), INPUT_TEXT);
        byte[] pattern = new byte[PATTERN_SIZE];
        for (int i = 0; i < pattern.length; i++) pattern[i] = patternByte(i);
        Files.write(content.resolve(PATTERN_FILE), pattern);
        Path image = dir.resolve("disk.img");
        Files.deleteIfExists(image);
        run(List.of(tool("mke2fs"), "-q", "-F", "-t", "ext2", "-d", content.toString(), image.toString(), "16M"), 60);
        return image;
    }

    /** The content of a file on an ext2 image, read on the host with debugfs. */
    static String readFromDisk(Path image, String file) throws IOException, InterruptedException {
        return run(List.of(tool("debugfs"), "-R", "cat /" + file, image.toString()), 60);
    }

    private static String tool(String name) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return name;
    }

    private static String script(Path script, int minutes) throws IOException, InterruptedException {
        String out = run(List.of(script.toString()), minutes * 60).strip();
        String[] lines = out.split("\n");
        Path result = Path.of(lines[lines.length - 1]);
        if (!Files.isRegularFile(result)) throw new IOException(script + " printed '" + out + "', which is no file");
        return result.toString();
    }

    /** Runs a command; returns its stdout; fails with stdout and stderr when it fails or takes too long. */
    static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path err = Files.createTempFile("guest-build", ".err");
        try {
            Process p;
            try {
                p = new ProcessBuilder(new ArrayList<>(command)).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new IOException(command.get(0) + " could not be run (are the packages in cnf/scripts/test-packages.txt installed?): " + e.getMessage(), e);
            }
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " took more than " + timeoutSeconds + " s");
            }
            String stdout = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                String stderr = Files.readString(err);
                if (stderr.length() > 20000) stderr = "..." + stderr.substring(stderr.length() - 20000);
                throw new IOException(String.join(" ", command) + " failed with status " + p.exitValue() + ":\n" + stdout + stderr);
            }
            return stdout;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
