package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's qemu-img (package qemu-utils), the reference these tests compare with. */
final class QemuImg {
    private QemuImg() { }

    static boolean available() { return Files.isExecutable(Path.of("/usr/bin/qemu-img")); }

    record Result(int status, String output) { }

    static Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new IOException("qemu-img " + cmd + " hung"); }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs qemu-img and fails unless it exits 0. */
    static String ok(String... args) throws IOException, InterruptedException {
        Result r = run(args);
        if (r.status() != 0) throw new AssertionError("qemu-img " + String.join(" ", args) + " failed (" + r.status() + "): " + r.output());
        return r.output();
    }

    /** qemu-img check's verdict: fails with its output unless it found nothing at all. */
    static void clean(Path image) throws IOException, InterruptedException {
        Result r = run("check", image.toString());
        if (r.status() != 0 || !r.output().contains("No errors were found"))
            throw new AssertionError("qemu-img check " + image + " (" + r.status() + "):\n" + r.output());
    }

    /** The image's guest contents as qemu-img convert reads them. */
    static byte[] contents(Path image, Path scratch) throws IOException, InterruptedException {
        Path raw = scratch.resolve(image.getFileName() + ".raw");
        ok("convert", "-O", "raw", image.toString(), raw.toString());
        byte[] b = Files.readAllBytes(raw);
        Files.delete(raw);
        return b;
    }
}
