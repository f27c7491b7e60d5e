package org.orrery.cpu.riscv.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an ELF on qemu-system-riscv64 (virt, no firmware) and returns what it printed on the UART. */
public final class Qemu {
    public static final String BINARY = "qemu-system-riscv64";

    private Qemu() { }

    public record Run(String output, int exitCode, boolean timedOut) { }

    /** Starts QEMU; the returned future completes with its output. */
    public static CompletableFuture<Run> start(Path elf, int timeoutSeconds) {
        return start(BINARY, elf, timeoutSeconds);
    }

    /** Starts the given QEMU system binary (qemu-system-riscv64 or qemu-system-riscv32) with -bios none. */
    public static CompletableFuture<Run> start(String binary, Path elf, int timeoutSeconds) {
        return run(List.of(binary, "-machine", "virt", "-bios", "none", "-kernel", elf.toString(),
            "-nographic", "-serial", "stdio", "-monitor", "none"), timeoutSeconds);
    }

    /**
     * Runs a QEMU command line on threads of its own (never the common pool, which may have a single
     * worker); when it has not exited after the timeout it is terminated and what it printed so far is kept.
     */
    public static CompletableFuture<Run> run(List<String> cmd, int timeoutSeconds) {
        Process p;
        try {
            p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new AssertionError(
                cmd.get(0) + " is required for the differential tests but could not be started"
                    + " (install qemu-system-misc): " + e.getMessage(), e));
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] chunk = new byte[4096];
            try (InputStream in = p.getInputStream()) {
                int n;
                while ((n = in.read(chunk)) > 0) synchronized (buf) { buf.write(chunk, 0, n); }
            } catch (IOException e) {
                // the stream is closed when the process is terminated
            }
        }, "qemu-output");
        reader.setDaemon(true);
        reader.start();
        CompletableFuture<Run> result = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (done) reader.join(10_000);
                else { p.destroy(); p.waitFor(10, TimeUnit.SECONDS); reader.join(1000); }
                String out;
                synchronized (buf) { out = buf.toString(); }
                result.complete(new Run(out.replace("\r\n", "\n"), done ? p.exitValue() : -1, !done));
            } catch (Throwable t) {
                p.destroyForcibly();
                result.completeExceptionally(t);
            }
        }, "qemu-wait");
        waiter.setDaemon(true);
        waiter.start();
        return result;
    }
}
