package org.orrery.guests.linux;

import com.sun.net.httpserver.HttpServer;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 21: the Linux guest on -netdev user. The kernel takes its address from the user network's DHCP
 * (ip=dhcp), the init downloads 1 MiB over HTTP from a server on the host's loopback through 10.0.2.2, and
 * serves a TCP port that the host reaches through hostfwd, sending 1 MiB back; on virtio-net-device and
 * virtio-net-pci, and the same on QEMU 7.2 as the reference. Prints both directions' throughput.
 */
class LinuxNetworkIT {
    static final int PATTERN = 1 << 20;
    static final int GUEST_PORT = 8080;
    static Path kernel;
    static Path initramfs;

    @BeforeAll static void buildGuest() throws Exception {
        initramfs = GuestImages.initramfs();
        kernel = GuestImages.kernel();
    }

    @Test void orreryOnVirtioNetDevice(@TempDir Path dir) throws Exception {
        run("orrery-net-mmio", orrery(), "virtio-net-device", dir, Map.of("ORRERY_NO_BUILD", "1"), Duration.ofSeconds(300));
    }

    @Test void orreryOnVirtioNetPci(@TempDir Path dir) throws Exception {
        run("orrery-net-pci", orrery(), "virtio-net-pci", dir, Map.of("ORRERY_NO_BUILD", "1"), Duration.ofSeconds(300));
    }

    @Test void qemuOnVirtioNetDevice(@TempDir Path dir) throws Exception {
        run("qemu-net-mmio", new ArrayList<>(List.of("qemu-system-riscv64")), "virtio-net-device", dir, Map.of(), Duration.ofSeconds(90));
    }

    private static List<String> orrery() {
        return new ArrayList<>(List.of(GuestImages.root().resolve("orrery").toString()));
    }

    private static byte[] pattern() {
        byte[] b = new byte[PATTERN];
        for (int i = 0; i < b.length; i++) b[i] = GuestImages.patternByte(i);
        return b;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { return s.getLocalPort(); }
    }

    private void run(String name, List<String> command, String nic, Path dir, Map<String, String> env, Duration limit) throws Exception {
        byte[] pattern = pattern();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        http.createContext("/pattern.bin", x -> {
            x.sendResponseHeaders(200, pattern.length);
            try (OutputStream o = x.getResponseBody()) { o.write(pattern); }
        });
        http.start();
        int forwarded = freePort();
        Path disk = GuestImages.disk(dir);
        command.addAll(List.of("-machine", "virt", "-m", "256M", "-nographic", "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 earlycon ip=dhcp orrery.http=" + http.getAddress().getPort() + " orrery.serve=" + GUEST_PORT,
                "-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0", "-device", "virtio-rng-device",
                "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:" + forwarded + "-:" + GUEST_PORT, "-device", nic + ",netdev=n0"));
        GuestConsole vm = GuestConsole.start(name, command, dir, env);
        try {
            vm.await(Pattern.compile("IP-Config: Complete"), 0, limit, "the kernel's DHCP configuration");
            Matcher dhcp = vm.await(Pattern.compile("SELFTEST net-dhcp: (\\S+)(.*)\\r?\\n"), 0, limit, "the address check");
            assertEquals("PASS", dhcp.group(1), dhcp.group());
            Matcher got = vm.await(Pattern.compile("SELFTEST net-http: (\\S+)(.*)\\r?\\n"), 0, limit, "the HTTP download");
            assertEquals("PASS", got.group(1), got.group());
            vm.await(Pattern.compile("orrery-init: listening on port " + GUEST_PORT), 0, Duration.ofSeconds(60), "the guest's server");
            long t0 = System.nanoTime();
            byte[] received;
            String answer;
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwarded)) {
                s.setSoTimeout(60_000);
                s.getOutputStream().write("hello through hostfwd\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                StringBuilder line = new StringBuilder();
                for (int c; (c = in.read()) >= 0 && c != '\n'; ) line.append((char) c);
                answer = line.toString();
                received = in.readAllBytes();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals("orrery guest got 21 bytes: hello through hostfwd", answer);
            assertEquals(PATTERN, received.length, "bytes from the guest's server");
            assertEquals(java.util.Arrays.hashCode(pattern), java.util.Arrays.hashCode(received), "the pattern, unchanged");
            Matcher served = vm.await(Pattern.compile("SELFTEST net-serve: (\\S+)(.*)\\r?\\n"), 0, Duration.ofSeconds(60), "the guest's server result");
            assertEquals("PASS", served.group(1), served.group());
            System.out.printf("%s: HTTP host->guest %s; hostfwd guest->host %d bytes in %.2f s, %.1f MiB/s%n", name,
                    got.group(2).strip(), received.length, seconds, received.length / seconds / 1048576);
        } finally {
            vm.saveLog(Path.of(System.getProperty("orrery.guest.logs", "target/guest-logs")));
            vm.close();
            http.stop(0);
        }
    }
}
