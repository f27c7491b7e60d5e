package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.orrery.cpu.riscv.testing.Qemu;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.cpu.riscv.testing.FirmwareImages;

/**
 * Debian's unmodified OpenSBI (fw_jump) and U-Boot (qemu-riscv64_smode) boot on the hart, with QEMU's
 * virt device tree, up to U-Boot's autoboot prompt; OpenSBI's report of the hart must match QEMU's
 * (except the H extension, which Orrery does not implement).
 */
class FirmwareBootTest {
    static final Path OPENSBI = FirmwareImages.OPENSBI, UBOOT = FirmwareImages.UBOOT;

    @ParameterizedTest
    @EnumSource(Engine.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void openSbiAndUBootReachThePrompt(Engine engine) throws Exception {
        Path dtb = FirmwareImages.virtDtb();
        CompletableFuture<Qemu.Run> qemu = Qemu.run(List.of("qemu-system-riscv64", "-machine", "virt", "-m", "128M",
            "-nographic", "-serial", "stdio", "-monitor", "none", "-bios", OPENSBI.toString(), "-kernel", UBOOT.toString()), 10);
        TestMachine m = FirmwareImages.boot(engine, dtb);
        long total = 0;
        while (!m.output().contains("Hit any key to stop autoboot") && total < 1_500_000_000L) {
            total += m.run(20_000_000L).instructions();
        }
        String ours = m.output();
        assertTrue(ours.contains("OpenSBI v1.1") && ours.contains("U-Boot 2023.01") && ours.contains("Hit any key to stop autoboot"),
            () -> "firmware did not reach the U-Boot prompt after " + m.hart.instructionsRetired() + " instructions:\n" + ours);

        String theirs = qemu.get(60, TimeUnit.SECONDS).output();
        assertTrue(theirs.contains("Boot HART MEDELEG"), () -> "QEMU did not boot OpenSBI:\n" + theirs);
        // QEMU 7.2 has the H extension (more delegable causes and interrupts) and 16 hardware counters
        assertEquals(hartReport(theirs).replace("rv64imafdch", "rv64imafdc"), hartReport(ours),
            "OpenSBI's view of the hart differs from QEMU's");
        assertTrue(ours.contains("Boot HART MIDELEG         : 0x0000000000000222"), ours);
        assertTrue(ours.contains("Boot HART MEDELEG         : 0x000000000000b109"), ours);
        assertTrue(ours.contains("Boot HART MHPM Count      : 0"), ours);
    }

    /** OpenSBI's banner from the platform name to the last "Boot HART" line. */
    static String hartReport(String out) {
        List<String> lines = out.lines().toList();
        StringBuilder b = new StringBuilder();
        boolean on = false;
        for (String l : lines) {
            if (l.startsWith("Platform Name")) on = true;
            boolean hDependent = l.startsWith("Boot HART MIDELEG") || l.startsWith("Boot HART MEDELEG") || l.startsWith("Boot HART MHPM");
            if (on && !hDependent && (l.startsWith("Platform") || l.startsWith("Firmware") || l.startsWith("Runtime")
                || l.startsWith("Domain0") || l.startsWith("Boot HART"))) b.append(l).append('\n');
            if (l.startsWith("Boot HART MEDELEG")) break;
        }
        return b.toString();
    }

}
