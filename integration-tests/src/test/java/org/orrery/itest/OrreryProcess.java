package org.orrery.itest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code ./orrery} run as a real process, its stdout and stderr captured as they come so a
 * test can wait (with a deadline) for what it expects instead of sleeping.
 */
final class OrreryProcess implements AutoCloseable {
    private final Process process;
    private final StringBuffer stdout = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final List<Thread> pumps = new ArrayList<>();
    private int commandCounter;

    private OrreryProcess(Process process) {
        this.process = process;
        pumps.add(pump(process.getInputStream(), stdout, "stdout"));
        pumps.add(pump(process.getErrorStream(), stderr, "stderr"));
    }

    /** Starts the orrery script of this checkout with the given arguments. */
    static OrreryProcess start(String... arguments) throws IOException {
        return startWith(java.util.Map.of(), arguments);
    }

    /** Starts the orrery script with extra environment variables (e.g. ORRERY_DIST for another copy). */
    static OrreryProcess startWith(java.util.Map<String, String> environment, String... arguments) throws IOException {
        Path script = DistributionLayout.repositoryRoot().resolve("orrery");
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(DistributionLayout.repositoryRoot().toFile());
        // The build under test just assembled the distribution; the script must not rebuild it.
        builder.environment().put("ORRERY_NO_BUILD", "1");
        builder.environment().putAll(environment);
        return new OrreryProcess(builder.start());
    }

    private static Thread pump(InputStream in, StringBuffer sink, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    sink.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The process went away; what was read stays in the buffer.
            }
        }, "orrery-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to orrery's stdin (did it exit?)\n" + transcript(), e);
        }
    }

    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    /**
     * Runs a Gogo command and returns its output: everything printed between this command and
     * an echo of a unique marker sent right after it.
     */
    String gogo(String command, Duration timeout) throws InterruptedException {
        String marker = "END-OF-COMMAND-" + (++commandCounter);
        int from = stdout.length();
        send(command);
        send("echo " + marker);
        awaitStdout(out -> out.indexOf(marker, from) >= 0, timeout);
        String out = stdout.toString();
        return out.substring(from, out.indexOf(marker, from));
    }

    /** Waits until stdout satisfies the condition; fails with the transcript otherwise. */
    void awaitStdout(Predicate<String> condition, Duration timeout) throws InterruptedException {
        await(() -> condition.test(stdout.toString()), timeout, "stdout condition");
    }

    void awaitStderr(Predicate<String> condition, Duration timeout) throws InterruptedException {
        await(() -> condition.test(stderr.toString()), timeout, "stderr condition");
    }

    private void await(java.util.function.BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " not met within " + timeout.toMillis() + " ms\n" + transcript());
            }
            if (!process.isAlive() && !condition.getAsBoolean()) {
                joinPumps();
                if (!condition.getAsBoolean()) {
                    throw new AssertionError("orrery exited with " + process.exitValue() + " before " + what + "\n" + transcript());
                }
                return;
            }
            Thread.sleep(20);
        }
    }

    /** The exit status, or empty if it is still running after the timeout. */
    Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return Optional.empty();
        }
        joinPumps();
        return Optional.of(process.exitValue());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String stdout() {
        return stdout.toString();
    }

    String stderr() {
        return stderr.toString();
    }

    String transcript() {
        return "--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr + "\n---";
    }

    private void joinPumps() throws InterruptedException {
        for (Thread pump : pumps) {
            pump.join(5_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
