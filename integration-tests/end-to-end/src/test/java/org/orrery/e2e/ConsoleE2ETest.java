package org.orrery.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The terminal as a person uses it: -serial mon:stdio in a real terminal (tmux), and Gogo fed from a pipe. */
@Tag("e2e")
class ConsoleE2ETest {
    @TempDir Path tmp;

    private static String tmux(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("tmux", "-L", "orrery-e2e"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static String awaitScreen(String text, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = tmux("capture-pane", "-p", "-S", "-200", "-t", "orrery");
            if (screen.contains(text)) return screen;
            Thread.sleep(100);
        }
        throw new AssertionError("'" + text + "' never appeared on the terminal:\n" + screen);
    }

    @Test void serialAndMonitorShareTheTerminal() throws Exception {
        Path status = tmp.resolve("status");
        String command = "ORRERY_NO_BUILD=1 " + Orrery.ROOT.resolve("orrery") + " -machine virt -m 256M -nographic -kernel "
                + Orrery.UBOOT_SMODE + "; echo exit=$? > " + status;
        tmux("kill-server");
        tmux("new-session", "-d", "-s", "orrery", "-x", "200", "-y", "50", "bash", "-c", command);
        try {
            awaitScreen("Hit any key to stop autoboot", Duration.ofSeconds(120));
            tmux("send-keys", "-t", "orrery", "Enter");
            awaitScreen("=>", Duration.ofSeconds(60));
            tmux("send-keys", "-t", "orrery", "version", "Enter");
            awaitScreen("U-Boot 2023", Duration.ofSeconds(30));
            tmux("send-keys", "-t", "orrery", "C-a", "c");
            awaitScreen("(qemu)", Duration.ofSeconds(30));
            tmux("send-keys", "-t", "orrery", "info status", "Enter");
            awaitScreen("VM status: running", Duration.ofSeconds(30));
            tmux("send-keys", "-t", "orrery", "C-a", "c");
            tmux("send-keys", "-t", "orrery", "Enter");
            tmux("send-keys", "-t", "orrery", "C-a", "h");
            awaitScreen("C-a x", Duration.ofSeconds(30));
            tmux("send-keys", "-t", "orrery", "C-a", "x");
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(status) && System.nanoTime() < deadline) Thread.sleep(100);
            assertEquals("exit=0", Files.readString(status).strip(), "Ctrl-a x ends the emulator");
        } finally {
            tmux("kill-server");
        }
    }

    @Test void gogoReadsCommandsFromAPipe() throws Exception {
        Orrery o = Orrery.start(List.of("-machine", "virt", "-S", "-serial", "null", "-shell"));
        o.process.getOutputStream().write("orrery:tree\nqmp:query-status\n".getBytes(StandardCharsets.UTF_8));
        o.process.getOutputStream().close();
        assertTrue(o.process.waitFor(120, TimeUnit.SECONDS), o.output());
        Thread.sleep(100);
        assertEquals(0, o.exitStatus(), o.output());
        assertTrue(o.output().contains("/machine (virt-machine)"), o.output());
        assertTrue(o.output().contains("/serial@10000000 (ns16550a)"), o.output());
        assertTrue(o.output().contains("\"status\" : \"prelaunch\""), o.output());
    }
}
