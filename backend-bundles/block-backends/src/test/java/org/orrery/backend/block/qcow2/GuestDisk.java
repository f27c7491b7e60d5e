package org.orrery.backend.block.qcow2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest of the block tests (src/test/resources/guest/blkburst.c), built with riscv64-unknown-elf-gcc, run
 * on ./orrery or QEMU, and the disk contents it leaves, checked sector by sector.
 */
final class GuestDisk {
    static final int COMMON = 2 << 20;
    static final int FRESH = 2 << 20;
    static final int SECTOR = 512;
    static final Path ROOT = Path.of(System.getProperty("orrery.root", "../..")).toAbsolutePath().normalize();
    static final Path GCC = Path.of("/usr/bin/riscv64-unknown-elf-gcc");
    static final Path QEMU = Path.of("/usr/bin/qemu-system-riscv64");

    private GuestDisk() { }

    static boolean toolsPresent() {
        return Files.isExecutable(GCC) && QemuImg.available() && Files.isExecutable(ROOT.resolve("orrery"));
    }

    /** Builds the guest in {@code mode} (WRITE or VERIFY) for {@code rounds} rounds. */
    static Path build(Path dir, String mode, int rounds) throws IOException, InterruptedException {
        for (String f : new String[] {"blkburst.c", "link.ld"}) {
            try (InputStream in = GuestDisk.class.getResourceAsStream("/guest/" + f)) {
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
        Path elf = dir.resolve(mode.toLowerCase() + "-" + rounds + ".elf");
        run(List.of(GCC.toString(), "-march=rv64imac_zicsr", "-mabi=lp64", "-mcmodel=medany", "-nostdlib", "-nostartfiles",
                "-ffreestanding", "-O2", "-Wl,--no-warn-rwx-segments", "-DMODE_" + mode, "-DROUNDS=" + rounds,
                "-T", dir.resolve("link.ld").toString(), dir.resolve("blkburst.c").toString(), "-o", elf.toString()), 60);
        return elf;
    }

    static String run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new AssertionError(cmd + " hung"); }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError(cmd + " failed (" + p.exitValue() + "):\n" + s);
        return s;
    }

    /** The command line that runs {@code elf} with {@code image} as a qcow2 virtio-blk disk. */
    static List<String> machine(boolean qemu, Path elf, Path image) { return machine(qemu, elf, image, ""); }

    /** As above, with {@code driveOptions} (",key=value...") added to the -drive option. */
    static List<String> machine(boolean qemu, Path elf, Path image, String driveOptions) {
        List<String> cmd = new ArrayList<>(List.of(qemu ? QEMU.toString() : ROOT.resolve("orrery").toString(),
                "-machine", "virt", "-m", "128M", "-nographic", "-monitor", "none", "-bios", "none", "-kernel", elf.toString(),
                "-drive", "file=" + image + ",if=none,id=d0,format=qcow2" + driveOptions, "-device", "virtio-blk-device,drive=d0",
                // the guest drives the modern (version 2) virtio-mmio interface; both emulators default to legacy
                "-global", "virtio-mmio.force-legacy=false"));
        return cmd;
    }

    /** Runs a machine to its end (the guest powers it off) and returns its console. */
    static String runMachine(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ORRERY_NO_BUILD", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread pump = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) { in.transferTo(out); } catch (IOException ignored) { }
        });
        if (!p.waitFor(300, TimeUnit.SECONDS)) { p.destroyForcibly().waitFor(); }
        pump.join(5000);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The highest round the guest reported flushed. */
    static int lastFlushed(String console) {
        Matcher m = Pattern.compile("flushed (\\d+)").matcher(console);
        int last = 0;
        while (m.find()) last = Math.max(last, Integer.parseInt(m.group(1)));
        return last;
    }

    /** The round a sector holds (0 for an all-zero sector); fails if it is neither zeros nor this sector's pattern. */
    static long roundOf(byte[] disk, long sector) {
        ByteBuffer b = ByteBuffer.wrap(disk, (int) (sector * SECTOR), SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        long first = b.getLong(b.position());
        if (first == 0) {
            for (int i = 0; i < SECTOR / 8; i++) if (b.getLong(b.position() + i * 8) != 0) throw new AssertionError("sector " + sector + " is torn (zeros and data)");
            return 0;
        }
        long round = first >>> 48;
        for (int i = 0; i < SECTOR / 8; i++) {
            long want = round << 48 | sector << 8 | i;
            long got = b.getLong(b.position() + i * 8);
            if (got != want) throw new AssertionError("sector " + sector + " word " + i + " holds 0x" + Long.toHexString(got) + ", not 0x" + Long.toHexString(want));
        }
        return round;
    }

    /** The disk a complete run of {@code rounds} rounds leaves, of {@code size} bytes. */
    static byte[] expected(int rounds, int size) {
        byte[] d = new byte[size];
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = 0; s < COMMON / SECTOR; s++) put(b, rounds, s);
        for (int r = 1; r <= rounds; r++) {
            long base = (2L * COMMON + (long) (r - 1) * FRESH) / SECTOR;
            for (long s = base; s < base + FRESH / SECTOR; s++) put(b, r, s);
        }
        return d;
    }

    private static void put(ByteBuffer b, long round, long sector) {
        for (int i = 0; i < SECTOR / 8; i++) b.putLong((int) (sector * SECTOR + i * 8), round << 48 | sector << 8 | i);
    }
}
