package org.orrery.guests.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: Linux 6.1 (guests/linux) with the Orrery init (guests/init) boots to user space on Orrery's
 * virt machine under Debian's OpenSBI, passes every item of the init's self-test, writes a file to its
 * virtio-blk ext2 disk that the host then reads, and powers off with status 0. The same kernel,
 * initramfs and disk boot on qemu-system-riscv64 as the reference. Issue 19: with -smp 4 every hart comes
 * online, a job with one process per CPU gives the serial result, and threads on every CPU lose no update
 * of counters they share (AMO, LR/SC, a lock). Issue 20: the same again on one hart with the disks and the
 * RNG as virtio-pci functions behind the PCIe host (-drive if=virtio, -device virtio-rng-pci), which the
 * init lists from sysfs.
 */
class LinuxBootIT {
    static final String INIT_FIRST_LINE = "ORRERY-INIT: started";
    /** Every item of the init's self-test (guests/init/init.c), in the order it runs them. */
    static final List<String> SELFTESTS = List.of("fork-exec-wait", "pipe", "mmap-anonymous", "mmap-file-private",
            "fpu", "preemption", "nanosleep-rtc", "virtio-blk-ext2", "hwrng", "smp-online", "smp-parallel", "smp-atomics");
    static final Duration ORRERY_BOOT = Duration.ofSeconds(240);
    static final Duration QEMU_BOOT = Duration.ofSeconds(60);

    static Path kernel;
    static Path initramfs;

    @BeforeAll static void buildGuest() throws Exception {
        initramfs = GuestImages.initramfs();
        kernel = GuestImages.kernel();
    }

    /** The devices of a boot: virtio-mmio ones, or the same on PCIe (as a distribution's published command line has them). */
    enum Transport {
        MMIO, PCI;

        /** The disk with the test's files, a blank second disk (the first -drive must still be /dev/vda) and an RNG. */
        List<String> devices(Path disk, Path scratch) {
            return this == MMIO
                    ? List.of("-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
                            "-drive", "file=" + scratch + ",format=raw,if=none,id=d1", "-device", "virtio-blk-device,drive=d1",
                            "-device", "virtio-rng-device")
                    : List.of("-device", "virtio-rng-pci", "-drive", "file=" + disk + ",format=raw,if=virtio",
                            "-drive", "file=" + scratch + ",format=raw,if=virtio");
        }
    }

    /**
     * What the init lists of the PCI functions on the PCI boot: the host bridge, then (after the -device, as QEMU
     * places if=virtio disks) the RNG at 01.0 and the two disks, transitional ids, each bound to virtio-pci.
     */
    static final List<String> PCI_FUNCTIONS = List.of("0000:00:00.0 1b36:0008 class 0x060000 driver (none)",
            "0000:00:01.0 1af4:1005 class 0x00ff00 driver virtio-pci", "0000:00:02.0 1af4:1001 class 0x010000 driver virtio-pci",
            "0000:00:03.0 1af4:1001 class 0x010000 driver virtio-pci");

    @Test void bootsOnOrrery(@TempDir Path dir) throws Exception {
        bootAndCheck("orrery-smp4", orrery(), 4, dir, ORRERY_BOOT, Map.of("ORRERY_NO_BUILD", "1"), Transport.MMIO);
    }

    /**
     * The reference run takes its four vCPUs in turn on one host thread: with a thread each (MTTCG) on a loaded
     * two-core host, a secondary vCPU was once starved past the second Linux gives it to come online ("CPU1:
     * failed to come online"), which says nothing about the guest this run vouches for.
     */
    @Test void bootsOnQemu(@TempDir Path dir) throws Exception {
        bootAndCheck("qemu-smp4", new ArrayList<>(List.of("qemu-system-riscv64", "-accel", "tcg,thread=single")), 4, dir, QEMU_BOOT,
                Map.of(), Transport.MMIO);
    }

    /** One hart as well: the uniprocessor path of the kernel and of Orrery's engine. */
    @Test void bootsOnOrreryWithOneHartAndPciDevices(@TempDir Path dir) throws Exception {
        bootAndCheck("orrery-pci", orrery(), 1, dir, ORRERY_BOOT, Map.of("ORRERY_NO_BUILD", "1"), Transport.PCI);
    }

    @Test void bootsOnQemuWithOneHartAndPciDevices(@TempDir Path dir) throws Exception {
        bootAndCheck("qemu-pci", new ArrayList<>(List.of("qemu-system-riscv64")), 1, dir, QEMU_BOOT, Map.of(), Transport.PCI);
    }

    private static List<String> orrery() {
        Path root = GuestImages.root();
        if (!Files.isDirectory(root.resolve("bundles/distribution/target/orrery")))
            throw new AssertionError("the distribution is not built: run mvn install (it assembles bundles/distribution before this module)");
        return new ArrayList<>(List.of(root.resolve("orrery").toString()));
    }

    private void bootAndCheck(String name, List<String> command, int harts, Path dir, Duration bootTimeout, Map<String, String> env,
                              Transport transport) throws Exception {
        Path disk = GuestImages.disk(dir);
        Path scratch = dir.resolve("scratch.img");
        try (var f = new java.io.RandomAccessFile(scratch.toFile(), "rw")) { f.setLength(2 << 20); }
        command.addAll(List.of("-machine", "virt", "-m", "256M", "-smp", Integer.toString(harts), "-nographic",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 earlycon"));
        command.addAll(transport.devices(disk, scratch));
        Path logs = Path.of(System.getProperty("orrery.guest.logs", "target/guest-logs"));
        GuestConsole vm = GuestConsole.start(name, command, dir, env);
        long bootDeadline = System.nanoTime() + bootTimeout.toNanos(); // one budget from launch to the summary
        java.util.function.Supplier<Duration> left = () -> Duration.ofNanos(Math.max(0, bootDeadline - System.nanoTime()));
        try {
            vm.await(Pattern.compile("OpenSBI v"), 0, left.get(), "the firmware's banner (OpenSBI)");
            vm.await(Pattern.compile("Linux version 6\\.1"), 0, left.get(), "the kernel's banner");
            vm.await(Pattern.compile(Pattern.quote(INIT_FIRST_LINE)), 0, left.get(), "the init's first line");
            vm.await(Pattern.compile("orrery-init: kernel Linux 6\\.1\\S* "), 0, left.get(), "the init's uname line");
            vm.await(Pattern.compile("isa\\s*: rv64"), 0, left.get(), "/proc/cpuinfo");
            if (transport == Transport.PCI)
                for (String function : PCI_FUNCTIONS)
                    vm.await(Pattern.compile(Pattern.quote("orrery-init: pci " + function)), 0, left.get(), "the init's line for PCI function " + function);
            Matcher summary;
            try {
                summary = vm.await(Pattern.compile("SELFTEST summary: .*"), 0, left.get(), "the self-test summary");
            } catch (AssertionError e) {
                String console = vm.console();
                String stuck = SELFTESTS.stream().filter(t -> !console.contains("SELFTEST " + t + ": ")).findFirst().orElse("?");
                throw new AssertionError("the self-test did not finish: no result line from '" + stuck + "' on. " + e.getMessage(), e);
            }
            List<String> failures = new ArrayList<>();
            String console = vm.console();
            for (String test : SELFTESTS) {
                Matcher m = Pattern.compile("SELFTEST " + Pattern.quote(test) + ": (\\S+)(.*)").matcher(console);
                if (!m.find()) failures.add(test + ": no result line");
                else if (!m.group(1).equals("PASS")) failures.add(test + ": " + m.group(1) + m.group(2));
            }
            String online = harts + " CPUs online (" + (harts == 1 ? "0" : "0-" + (harts - 1)) + ") of " + harts;
            if (!console.contains("SELFTEST smp-online: PASS " + online)) failures.add("smp-online: expected '" + online + "'");
            if (!failures.isEmpty())
                throw vm.failure("self-test items failed: " + String.join("; ", failures) + " (" + summary.group() + ")");

            int from = vm.console().length();
            vm.await(Pattern.compile("orrery# "), summary.end(), Duration.ofSeconds(30), "the prompt");
            vm.type("echo typed-by-the-test 42");
            vm.await(Pattern.compile("\\ntyped-by-the-test 42\\r?\\n"), from, Duration.ofSeconds(30), "the echo command's output");
            from = vm.console().length();
            vm.type("cat /proc/version");
            vm.await(Pattern.compile("Linux version 6\\.1"), from, Duration.ofSeconds(30), "cat /proc/version");
            from = vm.console().length();
            vm.type("ls /dev");
            vm.await(Pattern.compile("\\nhwrng\\r?\\n"), from, Duration.ofSeconds(30), "ls /dev listing hwrng");
            vm.type("poweroff");
            vm.await(Pattern.compile("reboot: Power down"), from, Duration.ofSeconds(60), "the kernel powering off");
            int status = vm.awaitExit(Duration.ofSeconds(60), "the machine to exit after poweroff");
            if (status != 0) throw vm.failure("exited with status " + status + " after poweroff, expected 0");
            System.out.printf("%s: launch to init's first line %.2f s%n", name, vm.secondsToInit());
        } finally {
            vm.saveLog(logs);
            vm.close();
        }
        String written = GuestImages.readFromDisk(disk, GuestImages.OUTPUT_FILE);
        assertEquals(GuestImages.OUTPUT_TEXT, written,
                "the file the guest wrote (" + GuestImages.OUTPUT_FILE + ") is not in the disk image\n" + vm.log());
    }
}
