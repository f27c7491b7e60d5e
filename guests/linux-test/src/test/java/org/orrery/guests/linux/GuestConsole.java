package org.orrery.guests.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A machine (Orrery or QEMU) run as a process with its serial console on stdin/stdout: the test waits
 * for console text with a deadline, types lines, and gets the whole log (stdout and stderr) for its
 * failure messages. A kernel panic or oops ends every wait at once.
 */
final class GuestConsole implements AutoCloseable {
    private static final Pattern FATAL = Pattern.compile(
            "Kernel panic - not syncing.*|Oops.*|Unable to handle kernel.*|BUG: .*|---\\[ end trace .*");

    private final String name;
    private final Process process;
    private final long started = System.nanoTime();
    private final StringBuilder console = new StringBuilder();
    private final StringBuilder errors = new StringBuilder();
    private final OutputStream input;
    /** Nanoseconds from launch to the first occurrence of each awaited marker. */
    private volatile long firstLineAt = -1;

    private GuestConsole(String name, Process process) {
        this.name = name;
        this.process = process;
        this.input = process.getOutputStream();
        pump(process.getInputStream(), console, name + "-stdout");
        pump(process.getErrorStream(), errors, name + "-stderr");
    }

    static GuestConsole start(String name, List<String> command, Path directory, Map<String, String> env)
            throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).directory(directory.toFile());
        b.environment().putAll(env);
        return new GuestConsole(name, b.start());
    }

    private Thread pump(InputStream in, StringBuilder sink, String thread) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        sink.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        if (firstLineAt < 0 && console.indexOf(LinuxBootIT.INIT_FIRST_LINE) >= 0)
                            firstLineAt = System.nanoTime() - started;
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process is gone; what was read stays
            }
            synchronized (this) { notifyAll(); }
        }, thread);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The console output so far. */
    synchronized String console() { return console.toString(); }

    /** Seconds from launch to the init's first line, or -1 if it has not been seen. */
    double secondsToInit() { return firstLineAt < 0 ? -1 : firstLineAt / 1e9; }

    /**
     * Waits until {@code pattern} matches console output after {@code from}; returns the match. Fails with
     * the log when the time runs out, the kernel panics, or the process ends first.
     */
    Matcher await(Pattern pattern, int from, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            for (;;) {
                Matcher m = pattern.matcher(console);
                if (m.find(Math.min(from, console.length()))) return m;
                Matcher fatal = FATAL.matcher(console);
                if (fatal.find()) throw failure("the guest kernel failed (\"" + fatal.group() + "\") while waiting for " + what);
                if (!process.isAlive()) {
                    wait(200); // let the pumps drain
                    m = pattern.matcher(console);
                    if (m.find(Math.min(from, console.length()))) return m;
                    throw failure(name + " exited with status " + process.exitValue() + " while waiting for " + what);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) throw failure("timed out after " + timeout.toSeconds() + " s waiting for " + what);
                wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 500)));
            }
        }
    }

    /** Types a line on the console. */
    void type(String line) throws IOException {
        input.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        input.flush();
    }

    /** Waits for the process to end; returns its exit status, or fails with the log on timeout. */
    int awaitExit(Duration timeout, String what) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            throw failure("timed out after " + timeout.toSeconds() + " s waiting for " + what);
        synchronized (this) { wait(100); }
        return process.exitValue();
    }

    AssertionError failure(String message) {
        return new AssertionError(name + ": " + message + "\n" + log());
    }

    /** The console and stderr, as attached to failures and written beside the build. */
    synchronized String log() {
        return "----- " + name + " console (" + String.format("%.1f", (System.nanoTime() - started) / 1e9)
                + " s since launch) -----\n" + console + "\n----- " + name + " stderr -----\n" + errors
                + "\n----- end of " + name + " log -----";
    }

    void saveLog(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".log"), log());
        } catch (IOException e) {
            // the log is still in the failure message
        }
    }

    @Override public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
