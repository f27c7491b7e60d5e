package org.orrery.guests.linux;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22: the Linux guest (two harts, virtio-blk, virtio-rng) is saved mid-run with QMP's migrate to a file,
 * the process ends, and a new process started with -incoming takes the state and carries on: its console answers
 * commands typed after the restore, and a file the guest writes to its disk afterwards is in the image.
 */
class LinuxSnapshotIT {
    static Path kernel;
    static Path initramfs;

    @BeforeAll static void buildGuest() throws Exception {
        initramfs = GuestImages.initramfs();
        kernel = GuestImages.kernel();
    }

    @Test void savedLinuxCarriesOnInANewProcess(@TempDir Path dir) throws Exception {
        Path disk = GuestImages.disk(dir);
        Path state = dir.resolve("linux.state");
        Path logs = Path.of(System.getProperty("orrery.guest.logs", "target/guest-logs"));
        List<String> machine = List.of("-machine", "virt", "-m", "256M", "-smp", "2", "-nographic",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(), "-append", "console=ttyS0 earlycon",
                "-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
                "-device", "virtio-rng-device");

        Path sourceSocket = dir.resolve("source.qmp");
        GuestConsole source = GuestConsole.start("snapshot-source", command(machine, sourceSocket), dir, Map.of("ORRERY_NO_BUILD", "1"));
        long savedBytes;
        try (QmpSocket qmp = QmpSocket.connect(sourceSocket, Duration.ofSeconds(60))) {
            var summary = source.await(Pattern.compile("SELFTEST summary: .*"), 0, Duration.ofSeconds(240), "the self-test summary");
            source.await(Pattern.compile("orrery# "), summary.end(), Duration.ofSeconds(30), "the prompt");
            int from = source.console().length();
            source.type("echo before-the-save");
            source.await(Pattern.compile("\\nbefore-the-save\\r?\\n"), from, Duration.ofSeconds(30), "the echo before the save");
            long t0 = System.nanoTime();
            qmp.execute("migrate", QmpSocket.args().put("uri", "exec:cat > " + state));
            JsonNode done = qmp.awaitMigration(Duration.ofSeconds(120));
            assertEquals("completed", done.path("status").asText(), "query-migrate: " + done);
            qmp.awaitStatus("postmigrate", Duration.ofSeconds(10));
            savedBytes = Files.size(state);
            System.out.printf("linux-snapshot: saved %d bytes (%d pages sent, %d zero pages skipped) in %.2f s%n", savedBytes,
                    done.path("ram").path("normal").asLong(), done.path("ram").path("duplicate").asLong(), (System.nanoTime() - t0) / 1e9);
            qmp.execute("quit", null);
            source.awaitExit(Duration.ofSeconds(30), "the source to quit");
        } finally {
            source.saveLog(logs);
            source.close();
        }
        assertTrue(savedBytes > 1 << 20 && savedBytes < 256 << 20, "a state of " + savedBytes + " bytes");

        Path targetSocket = dir.resolve("target.qmp");
        List<String> incoming = new ArrayList<>(command(machine, targetSocket));
        incoming.addAll(List.of("-incoming", "exec:cat " + state));
        GuestConsole target = GuestConsole.start("snapshot-target", incoming, dir, Map.of("ORRERY_NO_BUILD", "1"));
        try (QmpSocket qmp = QmpSocket.connect(targetSocket, Duration.ofSeconds(60))) {
            qmp.awaitStatus("running", Duration.ofSeconds(60));
            int from = target.console().length();
            target.type("echo after-the-restore");
            target.await(Pattern.compile("\\nafter-the-restore\\r?\\n"), from, Duration.ofSeconds(30), "the echo after the restore");
            from = target.console().length();
            target.type("store restored.txt written after the restore");
            target.await(Pattern.compile("stored \\d+ bytes in restored.txt"), from, Duration.ofSeconds(60), "the guest's write to its disk");
            from = target.console().length();
            target.type("poweroff");
            target.await(Pattern.compile("reboot: Power down"), from, Duration.ofSeconds(60), "the kernel powering off");
            assertEquals(0, target.awaitExit(Duration.ofSeconds(60), "the restored machine to exit after poweroff"));
        } finally {
            target.saveLog(logs);
            target.close();
        }
        assertEquals("written after the restore\n", GuestImages.readFromDisk(disk, "restored.txt"), "the file the restored guest wrote");
    }

    private static List<String> command(List<String> machine, Path qmpSocket) {
        List<String> c = new ArrayList<>(List.of(GuestImages.root().resolve("orrery").toString()));
        c.addAll(machine);
        c.addAll(List.of("-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
        return c;
    }
}
