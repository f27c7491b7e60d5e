package org.orrery.backend.block.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same qcow2 chain opened by ./orrery and by QEMU 7.2, queried over a real QMP socket: query-block's
 * description of the drive must be QEMU's, member for member (node names and on-disk sizes aside); then
 * blockdev-add over QMP and block_resize, checked by qemu-img.
 */
@Tag("e2e")
class Qcow2QmpE2ETest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;

    @BeforeEach void tools() {
        assumeTrue(GuestDisk.toolsPresent() && Files.isExecutable(GuestDisk.QEMU), "needs qemu-img, qemu-system-riscv64 and ./orrery");
    }

    /** A QMP session on a unix socket: one JSON object a line, events skipped. */
    static final class Qmp implements AutoCloseable {
        final Process process;
        final SocketChannel channel;
        final BufferedReader in;
        final OutputStream out;

        Qmp(List<String> command, Path socket) throws Exception {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("ORRERY_NO_BUILD", "1");
            process = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            SocketChannel c = null;
            while (c == null) {
                if (!process.isAlive() || System.nanoTime() > deadline) throw new AssertionError("no QMP socket from " + command);
                if (Files.exists(socket)) {
                    // the socket file appears when it is bound, a moment before it listens
                    SocketChannel attempt = SocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        attempt.connect(UnixDomainSocketAddress.of(socket));
                        c = attempt;
                    } catch (java.net.ConnectException notYet) {
                        attempt.close();
                    }
                }
                if (c == null) Thread.sleep(20);
            }
            channel = c;
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(channel);
            in.readLine();  // greeting
            call("qmp_capabilities", null);
        }

        JsonNode call(String command, String args) throws IOException {
            String msg = "{\"execute\":\"" + command + "\"" + (args == null ? "" : ",\"arguments\":" + args) + "}\n";
            out.write(msg.getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String line = in.readLine();
                if (line == null) throw new IOException("QMP closed");
                JsonNode n = JSON.readTree(line);
                if (n.has("event")) continue;
                if (n.has("error")) throw new IOException(command + ": " + n.get("error").get("desc").asText());
                return n.get("return");
            }
        }

        @Override public void close() throws Exception {
            try { call("quit", null); } catch (IOException ignored) { }
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
            channel.close();
        }
    }

    private static List<String> machine(Path emulator, Path socket, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(emulator.toString(), "-machine", "virt", "-m", "128M", "-nographic", "-S",
                "-serial", "null", "-monitor", "none", "-qmp", "unix:" + socket + ",server=on,wait=off"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** query-block's entry for a drive, without what legitimately differs (node names, bytes on disk, snapshot dates). */
    private static JsonNode comparable(JsonNode block, String device) {
        for (JsonNode b : block) {
            if (!b.get("device").asText().equals(device)) continue;
            ObjectNode copy = b.deepCopy();
            ObjectNode inserted = (ObjectNode) copy.get("inserted");
            inserted.remove("node-name");
            for (JsonNode image = inserted.get("image"); image != null; image = image.get("backing-image")) {
                ((ObjectNode) image).remove("actual-size");
                if (image.has("snapshots")) for (JsonNode s : image.get("snapshots")) ((ObjectNode) s).remove(List.of("date-sec", "date-nsec"));
            }
            return sorted(copy);
        }
        throw new AssertionError("no drive " + device + " in " + block);
    }

    private static JsonNode sorted(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = JSON.createObjectNode();
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            for (String k : names) o.set(k, sorted(n.get(k)));
            return o;
        }
        if (n.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode a = JSON.createArrayNode();
            for (JsonNode e : n) a.add(sorted(e));
            return a;
        }
        return n;
    }

    @Test void queryBlockDescribesAQcow2ChainAsQemuDoes() throws Exception {
        Path raw = dir.resolve("base.raw");
        Files.write(raw, new byte[1 << 20]);
        QemuImg.ok("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), dir.resolve("base.qcow2").toString());
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", dir.resolve("top.qcow2").toString());
        QemuImg.ok("snapshot", "-c", "before", dir.resolve("top.qcow2").toString());
        String[] drive = {"-drive", "file=" + dir.resolve("top.qcow2") + ",if=none,id=d0,format=qcow2,readonly=on", "-device", "virtio-blk-device,drive=d0"};
        JsonNode mine, theirs;
        try (Qmp q = new Qmp(machine(GuestDisk.ROOT.resolve("orrery"), dir.resolve("o.sock"), drive), dir.resolve("o.sock"))) {
            mine = comparable(q.call("query-block", null), "d0");
        }
        try (Qmp q = new Qmp(machine(GuestDisk.QEMU, dir.resolve("q.sock"), drive), dir.resolve("q.sock"))) {
            theirs = comparable(q.call("query-block", null), "d0");
        }
        assertEquals(theirs.toPrettyString(), mine.toPrettyString());
    }

    @Test void blockdevAddAndResizeOverQmp() throws Exception {
        Path img = dir.resolve("added.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), "16M");
        try (Qmp q = new Qmp(machine(GuestDisk.ROOT.resolve("orrery"), dir.resolve("o.sock")), dir.resolve("o.sock"))) {
            q.call("blockdev-add", "{\"driver\":\"qcow2\",\"node-name\":\"disk\",\"file\":{\"driver\":\"file\",\"filename\":\"" + img + "\"}}");
            q.call("device_add", "{\"driver\":\"virtio-blk-device\",\"drive\":\"disk\",\"id\":\"vd\"}");
            JsonNode nodes = q.call("query-named-block-nodes", null);
            boolean found = false;
            for (JsonNode n : nodes) found |= n.get("node-name").asText().equals("disk") && n.get("drv").asText().equals("qcow2");
            assertTrue(found, nodes.toString());
            q.call("block_resize", "{\"node-name\":\"disk\",\"size\":67108864}");
        }
        QemuImg.clean(img);
        assertTrue(QemuImg.ok("info", img.toString()).contains("virtual size: 64 MiB"));
    }
}
