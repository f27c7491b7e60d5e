package org.orrery.cpu.riscv.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Compiles the guest programs under src/test/guest with riscv64-unknown-elf-gcc; results are cached in target/guest. */
public final class GuestBuild {
    public static final Path SOURCES = Path.of("src/test/guest").toAbsolutePath();
    public static final Path OUT = Path.of("target/guest").toAbsolutePath();
    public static final String GCC = "riscv64-unknown-elf-gcc";

    private GuestBuild() { }

    /** Builds {@code name}.c (or .S) together with the common runtime; returns the ELF path. */
    public static synchronized Path build(String name, String... extraFlags) throws IOException, InterruptedException {
        Files.createDirectories(OUT);
        Path src = Files.exists(SOURCES.resolve(name + ".c")) ? SOURCES.resolve(name + ".c") : SOURCES.resolve(name + ".S");
        Path elf = OUT.resolve(name + ".elf");
        FileTime newest = newestSource();
        if (Files.exists(elf) && Files.getLastModifiedTime(elf).compareTo(newest) > 0) return elf;
        List<String> cmd = new ArrayList<>(List.of(GCC, "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany",
            "-nostdlib", "-nostartfiles", "-ffreestanding", "-fno-builtin", "-O2", "-g",
            "-I" + SOURCES, "-T", SOURCES.resolve("common/link.ld").toString(),
            SOURCES.resolve("common/crt.S").toString(), SOURCES.resolve("common/lib.c").toString(), src.toString()));
        cmd.addAll(List.of(extraFlags));
        cmd.addAll(List.of("-lgcc", "-o", elf.toString()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(GCC + " not found: install gcc-riscv64-unknown-elf (apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)", e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("guest build failed: " + cmd + "\n" + out);
        return elf;
    }

    /** Builds rv32/{@code name}.c with the RV32 start-up code, for a 32-bit hart. */
    public static synchronized Path buildRv32(String name) throws IOException, InterruptedException {
        Files.createDirectories(OUT);
        Path elf = OUT.resolve(name + ".elf");
        if (Files.exists(elf) && Files.getLastModifiedTime(elf).compareTo(newestSource()) > 0) return elf;
        List<String> cmd = List.of(GCC, "-march=rv32imafdc", "-mabi=ilp32d", "-mcmodel=medany", "-nostdlib",
            "-nostartfiles", "-ffreestanding", "-fno-builtin", "-O2", "-T", SOURCES.resolve("common/link.ld").toString(),
            SOURCES.resolve("rv32/crt32.S").toString(), SOURCES.resolve("rv32/" + name + ".c").toString(), "-lgcc",
            "-o", elf.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("guest build failed: " + cmd + "\n" + out);
        return elf;
    }

    private static FileTime newestSource() throws IOException {
        try (Stream<Path> s = Files.walk(SOURCES)) {
            return s.filter(Files::isRegularFile).map(f -> {
                try { return Files.getLastModifiedTime(f); } catch (IOException e) { throw new RuntimeException(e); }
            }).max(FileTime::compareTo).orElseThrow();
        }
    }
}
