package org.orrery.cpu.riscv.testing;

import java.io.IOException;
import java.nio.file.Path;
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
        List<String> cmd = List.of(BINARY, "-machine", "virt", "-bios", "none", "-kernel", elf.toString(),
            "-nographic", "-serial", "stdio", "-monitor", "none");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new AssertionError(
                BINARY + " is required for the differential tests but could not be started"
                    + " (install qemu-system-misc): " + e.getMessage(), e));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                    try { return p.getInputStream().readAllBytes(); } catch (IOException e) { return new byte[0]; }
                });
                boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (!done) p.destroyForcibly();
                byte[] bytes = out.get(10, TimeUnit.SECONDS);
                return new Run(new String(bytes).replace("\r\n", "\n"), done ? p.exitValue() : -1, !done);
            } catch (Exception e) {
                p.destroyForcibly();
                throw new RuntimeException(e);
            }
        });
    }
}
