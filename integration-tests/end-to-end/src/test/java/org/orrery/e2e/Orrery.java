package org.orrery.e2e;

import org.orrery.qmp.client.QmpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** ./orrery as a process, the way a user starts it, with its output collected. */
final class Orrery implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("orrery.root", "../..")).toAbsolutePath().normalize();
    static final Path UBOOT_SMODE = Path.of("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin");

    final Process process;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    private Orrery(Process process) {
        this.process = process;
        Thread.ofVirtual().start(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] b = new byte[8192];
                for (int n; (n = in.read(b)) > 0; ) synchronized (output) { output.write(b, 0, n); }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    static Orrery start(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("orrery").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ORRERY_NO_BUILD", "1");
        return new Orrery(pb.start());
    }

    /** Runs ./orrery to completion (bounded) and returns its exit status; the output is in {@link #output()}. */
    static Orrery run(List<String> args, Duration limit) throws Exception {
        Orrery o = start(args);
        o.process.getOutputStream().close();
        if (!o.process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            o.close();
            throw new AssertionError("./orrery " + args + " did not end within " + limit + "\n" + o.output());
        }
        o.process.waitFor();
        Thread.sleep(50);
        return o;
    }

    String output() { synchronized (output) { return output.toString(StandardCharsets.UTF_8); } }

    int exitStatus() { return process.exitValue(); }

    /** Waits for the QMP socket to appear and connects to it. */
    QmpClient qmp(Path socket) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        // the socket file appears when it is bound, a moment before the server listens: retry until it answers
        while (true) {
            if (!process.isAlive()) throw new AssertionError("orrery exited: " + output());
            if (Files.exists(socket)) {
                try {
                    return QmpClient.connectUnix(socket);
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) throw new AssertionError("cannot connect to " + socket + ": " + e + "\n" + output(), e);
                }
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no QMP socket after 60 s: " + output());
            Thread.sleep(20);
        }
    }

    /** Waits until the output contains {@code text}. */
    void await(String text, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!output().contains(text)) {
            if (System.nanoTime() > deadline) throw new AssertionError("no '" + text + "' within " + limit + ":\n" + output());
            Thread.sleep(20);
        }
    }

    @Override public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }
}
