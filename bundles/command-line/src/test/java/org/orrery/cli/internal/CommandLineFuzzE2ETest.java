package org.orrery.cli.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzed command lines given to the real {@code ./orrery}, as a user types them: each run either ends with
 * exit status 1 and exactly one line "orrery: ..." on stderr (no stack trace, no log record; a monitor the
 * input put on stdio may have greeted before a later option failed, as QEMU's does), or is accepted: it ends with status 0 and a quiet stderr (help, or the guest powered off), or
 * is still running a guest, quietly, when the time is up. A refusal that does not end is a hang. The
 * guest is a five-instruction firmware that powers the board off, so an accepted command line ends at once.
 * Runs from integration-tests/end-to-end once the distribution exists.
 */
@Tag("e2e")
class CommandLineFuzzE2ETest {
    private static final int INPUTS = Integer.getInteger("orrery.fuzz.processes", 40);
    private static final long SEED = Long.getLong("orrery.fuzz.seed", 2026);
    /** A refusal comes within a few seconds of start-up; a guest still running at this point was accepted. */
    private static final long LIMIT_MILLIS = 10_000;
    private static final List<String> TYPES = List.of("virt", "virt-machine", "virtio-blk-device", "virtio-rng-device",
            "memory-backend-ram", "memory-backend-file", "rng-random", "rng-builtin", "socket", "file", "null", "ringbuf",
            "ns16550a", "rv64", "goldfish_rtc", "nosuch", "riscv.sifive.plic");

    record Outcome(String input, int status, String stdout, String stderr, boolean running) { }

    static Path orrery() {
        return Path.of(System.getProperty("orrery.root", "../..")).toAbsolutePath().normalize().resolve("orrery");
    }

    /** lui t0,0x100; lui t1,0x5; addi t1,t1,0x555; sw t1,0(t0); j . : "pass" to the virt board's test device. */
    static Path powerOffFirmware(Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        for (int insn : new int[]{0x001002b7, 0x00005337, 0x55530313, 0x0062a023, 0x0000006f}) b.putInt(insn);
        return Files.write(dir.resolve("poweroff.bin"), b.array());
    }

    @Test void fuzzedCommandLinesEndInOneLineOrRunQuietly(@TempDir Path scratch) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(orrery()), "no ./orrery at " + orrery());
        CommandLineFuzz.prepare(scratch);
        Path firmware = powerOffFirmware(scratch);
        CommandLineFuzz fuzz = new CommandLineFuzz(SEED, TYPES, scratch);
        List<List<String>> inputs = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            List<String> args = new ArrayList<>(List.of("-machine", "virt", "-nographic", "-serial", "null", "-monitor", "none",
                    "-bios", firmware.toString()));
            args.addAll(fuzz.next());
            inputs.add(args);
        }
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        // two at a time: the machine has two cores, and each run is mostly JVM start-up
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int n = i;
            runs.add(pool.submit(() -> { outcomes.add(run(n, inputs.get(n), scratch)); return null; }));
        }
        for (Future<?> f : runs) f.get(5, TimeUnit.MINUTES);
        pool.shutdown();

        int refused = 0, ended = 0, running = 0;
        List<String> failures = new ArrayList<>();
        for (Outcome o : outcomes) {
            String problem = judge(o);
            if (problem != null) failures.add(problem + ": " + o.input() + "\n  stderr: " + cut(o.stderr()) + "\n  stdout: " + cut(o.stdout()));
            else if (o.running()) running++;
            else if (o.status() == 0) ended++;
            else refused++;
        }
        System.out.printf("command-line fuzz (./orrery processes): %d inputs tried, %d refused in one line, %d accepted and ended,"
                + " %d accepted and still running at %d s (seed %d)%n", outcomes.size(), refused, ended, running, LIMIT_MILLIS / 1000, SEED);
        assertTrue(failures.isEmpty(), failures.size() + " of " + outcomes.size() + " inputs failed:\n" + String.join("\n", failures));
        assertTrue(refused > 0 && outcomes.size() == INPUTS, "the fuzzer should produce bad input");
    }

    /** Null when the outcome is one of the allowed ones, else what is wrong with it. */
    static String judge(Outcome o) {
        String both = o.stderr() + o.stdout();
        boolean noisy = both.contains("Exception") || both.contains("\tat ") || both.contains("WARNING:") || both.contains("SEVERE:");
        if (noisy) return "a stack trace or log record";
        // accepted input may earn a warning (a disk image without format=) or what QEMU says too (where a pty
        // went, that it waits for a client); nothing else
        boolean quiet = o.stderr().lines().allMatch(l -> l.startsWith("orrery: warning: ") || l.startsWith("char device redirected to ")
                || l.startsWith("QEMU waiting for connection on: "));
        if (o.running()) return quiet ? null : "still running after saying something on stderr (a hang?)";
        if (o.status() == 0) return quiet ? null : "status 0 with something on stderr";
        if (o.status() != 1) return "exit status " + o.status();
        List<String> lines = o.stderr().lines().toList();
        if (lines.size() != 1 || !lines.get(0).startsWith("orrery: ")) return lines.size() + " lines on stderr instead of one 'orrery: ...'";
        return null;
    }

    private static Outcome run(int n, List<String> args, Path scratch) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(orrery().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(scratch.toFile());
        pb.environment().put("ORRERY_NO_BUILD", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        Thread o = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread e = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        boolean ended = p.waitFor(LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        if (!ended) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        o.join(5000);
        e.join(5000);
        String input = "seed " + SEED + " input " + n + ": " + CommandLineFuzz.show(args.subList(9, args.size()));
        return new Outcome(input, ended ? p.exitValue() : -1, text(out), text(err), !ended);
    }

    private static void copy(InputStream in, ByteArrayOutputStream sink) {
        try (in) {
            byte[] b = new byte[8192];
            for (int k; (k = in.read(b)) > 0; ) synchronized (sink) { sink.write(b, 0, k); }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static String text(ByteArrayOutputStream b) {
        synchronized (b) { return b.toString(StandardCharsets.UTF_8); }
    }

    private static String cut(String s) {
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }
}
