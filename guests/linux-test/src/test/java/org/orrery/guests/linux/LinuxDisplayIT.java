package org.orrery.guests.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25: the guest Linux drives virtio-gpu-pci through its DRM driver with fbcon on it (console=tty0), so its boot
 * console is on the screen, seen by screendump; the init's prompt is on that console, and "poweroff" typed over VNC
 * (a VNC client's key events, through virtio-keyboard-pci) reaches it: the machine ends with status 0. The PNG is
 * kept beside the logs (target/guest-logs/linux-virtio-gpu-pci.png) for a person to look at. The same with
 * bochs-display.
 */
class LinuxDisplayIT {
    static Path kernel;
    static Path initramfs;

    @BeforeAll static void buildGuest() throws Exception {
        initramfs = GuestImages.initramfs();
        kernel = GuestImages.kernel();
    }

    @Test void theBootConsoleIsOnTheVirtioGpuAndTypingOverVncReachesTheInit(@TempDir Path dir) throws Exception {
        bootAndCheck("virtio-gpu-pci", 1280, 800, dir);
    }

    /** The same on bochs-display: Linux's bochs DRM driver sets its preferred 1024x768 and fbcon draws into BAR 0. */
    @Test void theBootConsoleIsOnBochsDisplayAndTypingOverVncReachesTheInit(@TempDir Path dir) throws Exception {
        bootAndCheck("bochs-display", 1024, 768, dir);
    }

    private void bootAndCheck(String display, int width, int height, Path dir) throws Exception {
        Path qmp = dir.resolve("q.sock"), vnc = dir.resolve("v.sock");
        List<String> command = new ArrayList<>(List.of(GuestImages.root().resolve("orrery").toString(),
                "-machine", "virt", "-m", "256M", "-display", "none", "-serial", "stdio",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(), "-append", "console=ttyS0 console=tty0",
                "-device", display, "-device", "virtio-keyboard-pci",
                "-vnc", "unix:" + vnc, "-qmp", "unix:" + qmp + ",server=on,wait=off"));
        Path logs = Path.of(System.getProperty("orrery.guest.logs", "target/guest-logs"));
        try (GuestConsole vm = GuestConsole.start("orrery-" + display, command, dir, Map.of("ORRERY_NO_BUILD", "1"))) {
            try {
                vm.await(Pattern.compile("frame buffer device \\d+x\\d+"), 0, LinuxBootIT.ORRERY_BOOT, "fbcon on virtio-gpu");
                vm.await(Pattern.compile("Run /init as init process"), 0, LinuxBootIT.ORRERY_BOOT, "the init");
                Files.createDirectories(logs);
                Path png = logs.resolve("linux-" + display + ".png"), ppm = dir.resolve("screen.ppm");
                String header = "P6\n" + width + " " + height + "\n255\n";
                // fbcon draws the kernel's last lines and the DRM helper flushes them a little after the console
                // shows them: look until the screen holds text, for a bounded time
                int[] lit;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                do {
                    qmp(qmp, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"" + ppm + "\"}}");
                    byte[] p = Files.readAllBytes(ppm);
                    assertEquals(header, new String(p, 0, header.length(), StandardCharsets.US_ASCII), "the mode the guest set");
                    lit = litPixelsAndRows(p, header.length(), width, height);
                    if (showsText(lit, width, height)) break;
                    Thread.sleep(250);
                } while (System.nanoTime() < deadline);
                // fbcon's text: lit pixels on many rows (a blank or a uniform screen fails)
                assertTrue(showsText(lit, width, height), "lit pixels " + lit[0] + " on " + lit[1] + " rows");
                qmp(qmp, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"" + png + "\",\"format\":\"png\"}}");
                assertTrue(Files.size(png) > 1000, "a PNG was written");

                typeOverVnc(vnc, "poweroff\n");
                assertEquals(0, vm.awaitExit(Duration.ofSeconds(120), "the poweroff typed over VNC"));
            } finally {
                vm.saveLog(logs);
            }
        }
    }

    /** The screen's lit pixels and the rows that have any, from a PPM whose pixels start at {@code offset}. */
    private static int[] litPixelsAndRows(byte[] p, int offset, int width, int height) {
        int lit = 0, rows = 0;
        for (int y = 0; y < height; y++) {
            int inRow = 0;
            for (int x = 0; x < width; x++) {
                int at = offset + 3 * (y * width + x);
                if ((p[at] | p[at + 1] | p[at + 2]) != 0) inRow++;
            }
            lit += inRow;
            if (inRow > 0) rows++;
        }
        return new int[] {lit, rows};
    }

    private static boolean showsText(int[] lit, int width, int height) { return lit[0] > 20_000 && lit[1] > 200 && lit[0] < width * height / 2; }

    /** One QMP command on a fresh connection; fails unless it returns. */
    private static void qmp(Path socket, String command) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            in.readLine();
            for (String c : List.of("{\"execute\":\"qmp_capabilities\"}", command)) {
                out.write((c + "\n").getBytes(StandardCharsets.UTF_8));
                String line;
                do line = in.readLine(); while (line != null && line.contains("\"event\""));
                assertTrue(line != null && line.contains("\"return\""), c + " answered " + line);
            }
        }
    }

    /** Types {@code text} as an RFB 3.8 client (security None): a key down and up for each character. */
    private static void typeOverVnc(Path socket, String text) throws IOException, InterruptedException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
            OutputStream out = Channels.newOutputStream(ch);
            in.readFully(new byte[12]);
            out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            in.readFully(new byte[in.readUnsignedByte()]);
            out.write(1);
            assertEquals(0, in.readInt(), "VNC security result");
            out.write(1);
            in.readFully(new byte[20]);
            in.readFully(new byte[in.readInt()]);
            for (char c : text.toCharArray()) {
                int keysym = c == '\n' ? 0xff0d : c;
                for (int down = 1; down >= 0; down--)
                    out.write(ByteBuffer.allocate(8).put((byte) 4).put((byte) down).putShort((short) 0).putInt(keysym).array());
                Thread.sleep(20);
            }
            Thread.sleep(500);
        }
    }
}
