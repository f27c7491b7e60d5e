package org.orrery.gdbstub.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The host tools the gdb tests drive: the RISC-V cross compiler, gdb-multiarch, QEMU. */
final class Tools {
    static final String GCC = "riscv64-unknown-elf-gcc";
    static final String OBJCOPY = "riscv64-unknown-elf-objcopy";
    static final String GDB = "gdb-multiarch";
    static final String QEMU = "qemu-system-riscv64";

    private Tools() { }

    static boolean present(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":"))
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    /** Copies the guest's sources into {@code dir} and builds prog.elf there (FP on, linked for 0x80000000). */
    static Path buildGuest(Path dir) throws IOException, InterruptedException {
        for (String f : List.of("prog.c", "prog.ld", "session.gdb", "smp-session.gdb")) {
            try (InputStream in = Tools.class.getResourceAsStream("/guest/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
        run(dir, 60, GCC, "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O1", "-g", "-ffreestanding",
                "-nostdlib", "-nostartfiles", "-Wl,--no-warn-rwx-segments", "-T", "prog.ld", "-o", "prog.elf", "prog.c");
        return dir.resolve("prog.elf");
    }

    /** The gdb session script with the port filled in (-Dgdbstub.debugRemote=true logs every packet to stderr). */
    static Path script(Path dir, int port) throws IOException {
        return script(dir, "session.gdb", port);
    }

    /** As {@link #script(Path, int)} for another of the guest's session scripts. */
    static Path script(Path dir, String name, int port) throws IOException {
        Path s = dir.resolve(name.replace(".gdb", "-" + port + ".gdb"));
        String text = Files.readString(dir.resolve(name)).replace("PORT", Integer.toString(port));
        if (Boolean.getBoolean("gdbstub.debugRemote")) text = "set debug remote 1\n" + text;
        Files.writeString(s, text);
        return s;
    }

    /** Runs gdb-multiarch in batch mode and returns everything it printed (stdout and stderr, in order). */
    static String gdb(Path dir, Path script, Path elf, int timeoutSeconds) throws IOException, InterruptedException {
        return run(dir, timeoutSeconds, GDB, "-nx", "-batch", "-x", script.toString(), elf.toString());
    }

    /**
     * As {@link #gdb(Path, Path, Path, int)}, but gives up as soon as {@code emulator} dies (gdb would
     * otherwise keep retrying its connection), reporting the emulator's log.
     */
    static String gdbAgainst(Path dir, Path script, Path elf, int timeoutSeconds, Process emulator, Path log)
            throws IOException, InterruptedException {
        Thread watcher = Thread.ofVirtual().start(() -> {
            try {
                emulator.waitFor();
                Thread.sleep(2000); // let gdb finish what it read before the emulator went
                ProcessHandle.current().descendants().filter(h -> h.info().command().orElse("").endsWith(GDB))
                        .forEach(ProcessHandle::destroy);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            return gdb(dir, script, elf, timeoutSeconds);
        } catch (IOException e) {
            String emu = Files.exists(log) ? Files.readString(log) : "";
            throw new IOException(e.getMessage() + "\n--- emulator " + (emulator.isAlive() ? "running" : "exited " + emulator.exitValue())
                    + ", its output:\n" + emu, e);
        } finally {
            watcher.interrupt();
        }
    }

    static String run(Path dir, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        reader.join();
        String text = new String(out[0], StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IOException(command[0] + " failed (" + p.exitValue() + "):\n" + text);
        return text;
    }

    /** Starts a process in the background, its output to a log file in {@code dir}. */
    static Process spawn(Path dir, String log, List<String> command) throws IOException {
        return new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(log).toFile()).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void stop(Process p) throws InterruptedException {
        if (p == null) return;
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
