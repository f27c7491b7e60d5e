package org.orrery.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's U-Boot on the network, as a user types it: DHCP from -netdev user, a TFTP download checked by
 * CRC, ping of the gateway, on virtio-net-device and virtio-net-pci; set_link over QMP takes the link down
 * (ping fails) and up again; info network and query-rx-filter describe the pair.
 */
@Tag("e2e")
class NetworkE2ETest {
    static final String OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
    static final Duration LIMIT = Duration.ofSeconds(90);
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"virtio-net-device", "virtio-net-pci,romfile="})
    void ubootGetsALeaseDownloadsByTftpAndPingsTheHost(String device) throws Exception {
        Path root = Files.createDirectory(tmp.resolve("tftp"));
        byte[] payload = new byte[1 << 20];
        new Random(19).nextBytes(payload);
        Files.write(root.resolve("payload.bin"), payload);
        CRC32 crc = new CRC32();
        crc.update(payload);
        Path sock = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-nographic", "-bios", OPENSBI,
                "-kernel", Orrery.UBOOT_SMODE.toString(), "-netdev", "user,id=n0,tftp=" + root,
                "-device", device + ",netdev=n0,id=nic0", "-object", "filter-dump,id=f0,netdev=n0,file=" + tmp.resolve("n0.pcap"),
                "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            o.await("Hit any key", Duration.ofSeconds(120));
            o.uboot("", LIMIT);
            o.uboot("pci enum", LIMIT);
            o.uboot("virtio scan", LIMIT);
            o.uboot("setenv autoload no", LIMIT);
            String dhcp = o.uboot("dhcp", LIMIT);
            assertTrue(dhcp.contains("DHCP client bound to address 10.0.2.15"), dhcp);
            String tftp = o.uboot("tftpboot 0x84000000 payload.bin", LIMIT);
            assertTrue(tftp.contains("Bytes transferred = 1048576"), tftp);
            String sum = o.uboot("crc32 0x84000000 ${filesize}", LIMIT);
            assertTrue(sum.contains(String.format("==> %08x", crc.getValue())), sum);
            assertTrue(o.uboot("ping 10.0.2.2", LIMIT).contains("host 10.0.2.2 is alive"));

            String model = device.split(",")[0];
            JsonNode network = q.call("x-query-network");
            assertEquals("nic0", network.get(0).path("name").asText(), network.toString());
            assertTrue(network.get(0).path("info").asText().contains("model=" + model + ",macaddr=52:54:00:12:34:56"), network.toString());
            assertEquals("n0", network.get(0).path("peer").path("name").asText());
            assertEquals("52:54:00:12:34:56", q.call("query-rx-filter").get(0).path("main-mac").asText());

            q.call("set_link", JsonNodeFactory.instance.objectNode().put("name", "nic0").put("up", false));
            String down = o.uboot("ping 10.0.2.2", LIMIT);
            assertTrue(down.contains("is not alive"), down);
            q.call("set_link", JsonNodeFactory.instance.objectNode().put("name", "n0").put("up", true));
            assertTrue(o.uboot("ping 10.0.2.2", LIMIT).contains("host 10.0.2.2 is alive"));

            JsonNode frames = q.call("qom-get", JsonNodeFactory.instance.objectNode().put("path", "/netdevs/n0").put("property", "frames-to-guest"));
            assertTrue(frames.asLong() > 700, "the TFTP blocks went through the netdev: " + frames);
            q.call("object-del", JsonNodeFactory.instance.objectNode().put("id", "f0")); // closes the capture
        }
        checkCapture(tmp.resolve("n0.pcap"));
    }

    /** The filter-dump capture is a pcap file: its header, then the DHCP exchange both ways and the TFTP blocks. */
    private static void checkCapture(Path pcap) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(pcap)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(), "pcap magic");
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        b.position(20);
        assertEquals(1, b.getInt(), "Ethernet link type");
        int dhcpFromGuest = 0, dhcpToGuest = 0, tftpData = 0;
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int kept = b.getInt(), length = b.getInt();
            assertEquals(length, kept, "whole frames");
            byte[] f = new byte[kept];
            b.get(f);
            if (f.length < 42 || (f[12] & 0xff) != 8 || f[13] != 0 || f[23] != 17) continue;
            int dst = (f[36] & 0xff) << 8 | (f[37] & 0xff);
            if (dst == 67) dhcpFromGuest++;
            if (dst == 68) dhcpToGuest++;
            if (f[42] == 0 && f[43] == 3) tftpData++;
        }
        assertEquals(0, b.remaining(), "no torn record");
        assertTrue(dhcpFromGuest >= 2 && dhcpToGuest >= 2, "DHCP both ways: " + dhcpFromGuest + " / " + dhcpToGuest);
        assertTrue(tftpData >= 715, "the TFTP blocks: " + tftpData);
    }

    /**
     * netdev_add and netdev_del over QMP, as a management tool drives them: a hostfwd port opens with the netdev
     * and closes with it (no other host port opens), the monitor lists the pair, refused kinds and options say why.
     */
    @org.junit.jupiter.api.Test
    void netdevsComeAndGoOverQmpWithTheirHostPorts() throws Exception {
        Path sock = tmp.resolve("q.sock");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) { port = s.getLocalPort(); }
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-nographic", "-S", "-serial", "null",
                "-nic", "user,model=virtio-net-device,mac=02:00:00:00:00:07", "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            var f = JsonNodeFactory.instance;
            var add = f.objectNode().put("type", "user").put("id", "n1");
            add.putArray("hostfwd").addObject().put("str", "tcp:127.0.0.1:" + port + "-:22");
            q.call("netdev_add", add);
            try (java.net.Socket c = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                assertTrue(c.isConnected(), "the hostfwd port listens");
            }
            String info = q.call("human-monitor-command", f.objectNode().put("command-line", "info network")).asText();
            assertTrue(info.contains("virtio-net-device.0: index=0,type=nic,model=virtio-net-device,macaddr=02:00:00:00:00:07"), info);
            assertTrue(info.contains(" \\ __org.qemu.nic0: index=0,type=user,net=10.0.2.0,restrict=off"), info);
            assertTrue(info.contains("n1: index=0,type=user"), info);
            var again = f.objectNode().put("type", "user").put("id", "n2");
            again.putArray("hostfwd").addObject().put("str", "tcp:127.0.0.1:" + port + "-:22");
            String busy = error(q, "netdev_add", again);
            assertTrue(busy.contains("Could not set up host forwarding rule"), busy);
            assertTrue(error(q, "netdev_add", f.objectNode().put("type", "tap").put("id", "t0")).contains("tap"));
            assertTrue(error(q, "netdev_add", f.objectNode().put("type", "user").put("id", "n3").put("guestfwd", "x")).contains("guestfwd"));
            assertTrue(error(q, "netdev_add", f.objectNode().put("type", "user").put("id", "n1")).contains("Duplicate ID"));
            q.call("netdev_del", f.objectNode().put("id", "n1"));
            java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port).close());
            assertTrue(refused.getMessage().contains("refused"), refused.getMessage());
            assertTrue(error(q, "netdev_del", f.objectNode().put("id", "n1")).contains("not found"));
        }
    }

    private static String error(QmpClient q, String command, com.fasterxml.jackson.databind.node.ObjectNode args) {
        try {
            q.call(command, args);
        } catch (RuntimeException e) {
            return e.getMessage();
        }
        throw new AssertionError(command + " " + args + " succeeded");
    }
}
