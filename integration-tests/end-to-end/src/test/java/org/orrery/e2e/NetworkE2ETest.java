package org.orrery.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

import java.nio.charset.StandardCharsets;
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
                "-device", device + ",netdev=n0,id=nic0", "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            o.await("Hit any key", Duration.ofSeconds(120));
            type(o, "");
            type(o, "pci enum");
            type(o, "virtio scan");
            type(o, "setenv autoload no");
            String dhcp = type(o, "dhcp");
            assertTrue(dhcp.contains("DHCP client bound to address 10.0.2.15"), dhcp);
            String tftp = type(o, "tftpboot 0x84000000 payload.bin");
            assertTrue(tftp.contains("Bytes transferred = 1048576"), tftp);
            String sum = type(o, "crc32 0x84000000 ${filesize}");
            assertTrue(sum.contains(String.format("==> %08x", crc.getValue())), sum);
            assertTrue(type(o, "ping 10.0.2.2").contains("host 10.0.2.2 is alive"));

            String model = device.split(",")[0];
            JsonNode network = q.call("x-query-network");
            assertEquals("nic0", network.get(0).path("name").asText(), network.toString());
            assertTrue(network.get(0).path("info").asText().contains("model=" + model + ",macaddr=52:54:00:12:34:56"), network.toString());
            assertEquals("n0", network.get(0).path("peer").path("name").asText());
            assertEquals("52:54:00:12:34:56", q.call("query-rx-filter").get(0).path("main-mac").asText());

            q.call("set_link", JsonNodeFactory.instance.objectNode().put("name", "nic0").put("up", false));
            String down = type(o, "ping 10.0.2.2");
            assertTrue(down.contains("is not alive"), down);
            q.call("set_link", JsonNodeFactory.instance.objectNode().put("name", "n0").put("up", true));
            assertTrue(type(o, "ping 10.0.2.2").contains("host 10.0.2.2 is alive"));

            JsonNode frames = q.call("qom-get", JsonNodeFactory.instance.objectNode().put("path", "/netdevs/n0").put("property", "frames-to-guest"));
            assertTrue(frames.asLong() > 700, "the TFTP blocks went through the netdev: " + frames);
        }
    }

    /** Types a command at the U-Boot prompt and returns what it printed up to the next prompt. */
    private static String type(Orrery o, String command) throws Exception {
        int mark = o.output().length();
        o.process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        o.process.getOutputStream().flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String out = o.output().substring(mark);
            int echo = out.indexOf(command);
            if (echo >= 0 && out.indexOf("=> ", echo + command.length()) >= 0) return out;
            Thread.sleep(20);
        }
        throw new AssertionError("no prompt after '" + command + "':\n" + o.output());
    }
}
