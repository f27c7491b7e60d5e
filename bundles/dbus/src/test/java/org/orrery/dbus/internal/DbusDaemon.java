package org.orrery.dbus.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A private {@code dbus-daemon --session} for a test class, and real clients (gdbus, busctl, python3-dbus) run against it. */
final class DbusDaemon implements AutoCloseable {
    private final Process process;
    final String address;

    private DbusDaemon(Process process, String address) {
        this.process = process;
        this.address = address;
    }

    /** A daemon at an address of its choosing. */
    static DbusDaemon start() throws IOException { return start(null); }

    /** A daemon listening on {@code socket} (so that a new one can take the old one's place), or anywhere when null. */
    static DbusDaemon start(Path socket) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("dbus-daemon", "--session", "--print-address", "--nofork", "--nopidfile"));
        if (socket != null) {
            Files.deleteIfExists(socket);
            cmd.add("--address=unix:path=" + socket);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("unix:")) {
            p.destroyForcibly();
            throw new IOException("dbus-daemon did not start (is the dbus-daemon package installed?)");
        }
        return new DbusDaemon(p, line.strip());
    }

    record Result(int exit, String out, String err) {
        String all() { return out + err; }
    }

    /** Runs a client with DBUS_SESSION_BUS_ADDRESS set to this bus. */
    Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
        Path out = Files.createTempFile("dbus-client", ".out"), err = Files.createTempFile("dbus-client", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("client timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Starts a long-running client (gdbus monitor) whose output is collected in a file. */
    Background background(String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("DBUS_SESSION_BUS_ADDRESS", address);
        Path out = Files.createTempFile("dbus-monitor", ".out");
        Process p = pb.redirectOutput(out.toFile()).redirectErrorStream(true).start();
        return new Background(p, out);
    }

    record Background(Process process, Path output) implements AutoCloseable {
        String text() throws IOException { return Files.readString(output); }

        /** Waits until the output contains {@code text}; returns the output. */
        String await(String text, long timeoutMillis) throws IOException, InterruptedException {
            long end = System.currentTimeMillis() + timeoutMillis;
            while (System.currentTimeMillis() < end) {
                String t = text();
                if (t.contains(text)) return t;
                Thread.sleep(20);
            }
            return text();
        }

        @Override public void close() throws IOException {
            process.destroy();
            try { process.waitFor(2, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    Map<String, String> env() { return Map.of("DBUS_SESSION_BUS_ADDRESS", address); }

    @Override public void close() {
        process.destroy();
        try { process.waitFor(5, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        process.destroyForcibly();
    }
}
