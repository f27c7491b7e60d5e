package org.orrery.shell.hmp.e2e;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boots Debian's U-Boot on the whole distribution and talks to the human monitor over a unix socket, as a
 * script would. Needs the assembled distribution (/work/main/orrery) with the CPU and the virt board:
 * run with {@code mvn test -Dorrery.excludedGroups= -Dgroups=e2e}.
 */
@Tag("e2e")
class UbootMonitorE2ETest {
    private static final Path ORRERY = Path.of(System.getProperty("orrery.launcher", "/work/main/orrery"));
    private static final Path UBOOT = Path.of("/usr/lib/u-boot/qemu-riscv64/u-boot.bin");

    @Test
    void disassemblesAtPcAndShowsRegisters() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(ORRERY) && Files.exists(UBOOT), "distribution or U-Boot missing");
        Path dir = Files.createTempDirectory("hmp-e2e");
        Path sock = dir.resolve("mon.sock");
        Process p = new ProcessBuilder(ORRERY.toString(), "-machine", "virt", "-nographic", "-bios", UBOOT.toString(),
                "-monitor", "unix:" + sock + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(dir.resolve("console.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(sock) && System.nanoTime() < deadline) Thread.sleep(100);
            Thread.sleep(3000); // let U-Boot run a little
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(sock));
                InputStream in = Channels.newInputStream(ch);
                OutputStream out = Channels.newOutputStream(ch);
                readUntilPrompt(in);
                String x = command(in, out, "x /8i $pc");
                assertTrue(Pattern.compile("(?m)^0x[0-9a-f]{16}:  [0-9a-f]{4,8} +\\S+").matcher(x).find(), x);
                assertTrue(x.split("\n").length >= 8, x);
                String regs = command(in, out, "info registers");
                assertTrue(regs.contains(" pc       ") && regs.contains(" x2/sp    "), regs);
                String st = command(in, out, "info status");
                assertTrue(st.contains("VM status: running"), st);
                command(in, out, "stop");
                assertTrue(command(in, out, "info status").contains("VM status: paused"));
                out.write("quit\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "orrery did not quit");
        } finally {
            p.destroyForcibly();
        }
    }

    private static String command(InputStream in, OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readUntilPrompt(in).replace("\r", "");
    }

    private static String readUntilPrompt(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.toString().endsWith("(qemu) ")) break;
        }
        return b.toString();
    }

}
