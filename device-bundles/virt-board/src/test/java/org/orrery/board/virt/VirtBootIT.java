package org.orrery.board.virt;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End-to-end: the distribution's {@code ./orrery} boots Debian's OpenSBI and U-Boot on the virt board, and
 * U-Boot reads a file from a virtio disk. Tagged {@code e2e}: excluded by default; run with
 * {@code mvn -Pe2e test -pl device-bundles/virt-board} once the CPU type and the command line are wired.
 */
@Tag("e2e")
class VirtBootIT {
    static final Path UBOOT = Path.of("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin");
    @TempDir Path tmp;

    static Path orrery() {
        String root = System.getProperty("orrery.root", "../..");
        return Path.of(root).toAbsolutePath().normalize().resolve("orrery");
    }

    @Test void opensbiThenUBootPromptThenVirtioDiskThenPoweroff() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(orrery()), "no ./orrery at " + orrery());
        Assumptions.assumeTrue(Files.isRegularFile(UBOOT), "u-boot-qemu is not installed");
        Path img = FatDisk.make(tmp);
        Process p = new ProcessBuilder(List.of(orrery().toString(), "-machine", "virt", "-m", "256M", "-nographic",
                "-kernel", UBOOT.toString(),
                "-drive", "file=" + img + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"))
                .redirectErrorStream(true).start();
        try {
            Console c = new Console(p.getInputStream(), p.getOutputStream());
            c.expect("OpenSBI", 60);
            c.expect("=>", 120);
            c.command("version", "U-Boot");
            c.command("bdinfo", "boot_params");
            c.command("fdt addr $fdtcontroladdr; fdt print /soc", "serial@10000000");
            c.command("virtio scan; virtio info", "Block Device");
            c.command("load virtio 0 0x84000000 hello.txt", "bytes read");
            c.command("md.b 0x84000000 0x20", "Hello from a vi");
            // reset restarts the whole machine: the firmware banner again, then U-Boot's prompt
            c.send("reset\n");
            c.expect("OpenSBI", 60);
            c.expect("U-Boot 2023", 120);
            c.expect("=>", 120);
            c.command("version", "U-Boot");
            c.send("poweroff\n");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "orrery ends after poweroff; output:\n" + c.seen());
            assertEquals(0, p.exitValue(), c.seen());
        } finally {
            p.destroyForcibly();
        }
    }

    /** Reads the serial console and waits for text, as a person at the terminal would. */
    static final class Console {
        private final InputStream in;
        private final OutputStream out;
        private final StringBuilder seen = new StringBuilder();
        private int mark;

        Console(InputStream in, OutputStream out) { this.in = in; this.out = out; }

        String seen() { return seen.toString(); }

        void expect(String text, int seconds) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                int at = seen.indexOf(text, mark);
                if (at >= 0) { mark = at + text.length(); return; }
                if (in.available() > 0) {
                    byte[] b = new byte[in.available()];
                    int n = in.read(b);
                    seen.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                } else {
                    Thread.sleep(20);
                }
            }
            fail("timed out waiting for '" + text + "'; output so far:\n" + seen);
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        void command(String cmd, String expected) throws IOException, InterruptedException {
            send(cmd + "\n");
            expect(expected, 60);
            expect("=>", 60);
        }
    }
}
