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

    /** What the JVM(s) of a hung ./orrery are doing, so a hang on CI can be understood from the report. */
    private static String threadDump(ProcessHandle script) {
        StringBuilder dump = new StringBuilder();
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<ProcessHandle> candidates = new ArrayList<>();
        candidates.add(script);
        script.descendants().forEach(candidates::add);
        for (ProcessHandle p : candidates) {
            if (!p.info().command().map(c -> c.endsWith("java")).orElse(false)) continue;
            try {
                Process q = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print").redirectErrorStream(true).start();
                q.getOutputStream().close();
                String text = new String(q.getInputStream().readAllBytes());
                q.waitFor(20, TimeUnit.SECONDS);
                dump.append("threads of ").append(p.pid()).append(":\n").append(text);
            } catch (IOException | InterruptedException e) {
                dump.append("no thread dump of ").append(p.pid()).append(": ").append(e);
            }
        }
        return dump.toString();
    }

    /** Runs ./orrery to completion (bounded) and returns its exit status; the output is in {@link #output()}. */
    static Orrery run(List<String> args, Duration limit) throws Exception {
        Orrery o = start(args);
        o.process.getOutputStream().close();
        if (!o.process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            String threads = threadDump(o.process.toHandle());
            o.close();
            throw new AssertionError("./orrery " + args + " did not end within " + limit + "\n" + o.output() + "\n" + threads);
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

    /** Types a line at the U-Boot prompt and returns what it printed up to the next prompt. */
    String uboot(String command, Duration limit) throws Exception {
        int mark = output().length();
        process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String out = output().substring(mark);
            int echo = out.indexOf(command);
            // the prompt starts a line: crc32's own output holds "==> " mid-line
            if (echo >= 0 && out.indexOf("\n=> ", echo + command.length()) >= 0) return out;
            Thread.sleep(20);
        }
        throw new AssertionError("no prompt after '" + command + "':\n" + output());
    }

    @Override public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }
}
