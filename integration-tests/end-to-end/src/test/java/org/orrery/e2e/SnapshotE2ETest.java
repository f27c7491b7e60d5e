package org.orrery.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

/**
 * Issue 22 as a user drives it: a machine's state migrated over a unix socket to a second process while the
 * guest runs; a state saved to a file under -icount and restored twice runs on to identical output; savevm and
 * loadvm through the human monitor, and the snapshot-save/-load/-delete jobs through QMP, on U-Boot with a qcow2
 * disk that qemu-img then lists and checks clean. The guest is resources/icount/clocks.c, built now.
 */
@Tag("e2e")
class SnapshotE2ETest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern ROUND = Pattern.compile("(?m)^round (\\d+) ");
    private static Path elf, longElf;

    @TempDir Path tmp;

    @BeforeAll static void buildGuest() throws Exception {
        Path sources = Files.createTempDirectory("snapshot");
        for (String f : List.of("start.S", "clocks.c", "icount.ld")) {
            try (InputStream in = SnapshotE2ETest.class.getResourceAsStream("/icount/" + f)) {
                Files.copy(in, sources.resolve(f));
            }
        }
        elf = build(sources, "clocks.elf");
        // four seconds of guest time instead of half of one: time to migrate it while it runs
        longElf = build(sources, "clocks-long.elf", "-DRUN_TICKS=40000000");
    }

    private static Path build(Path sources, String name, String... defines) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2",
                "-nostdlib", "-nostartfiles", "-ffreestanding", "-Wl,--no-warn-rwx-segments"));
        cmd.addAll(List.of(defines));
        cmd.addAll(List.of("-T", "icount.ld", "start.S", "clocks.c", "-o", name));
        Process p = new ProcessBuilder(cmd).directory(sources.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "building the guest failed:\n" + out);
        return sources.resolve(name);
    }

    private static List<String> guest(Path kernel, String... extra) {
        List<String> args = new ArrayList<>(List.of("-machine", "virt", "-m", "128M", "-bios", "none", "-nographic", "-kernel", kernel.toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private static int lastRound(String out) {
        Matcher m = ROUND.matcher(out);
        int last = -1;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    /** The guest's lines only (the emulator's own messages share the output). */
    private static String guestLines(String out) {
        List<String> kept = new ArrayList<>();
        for (String line : out.split("\n", -1)) if (!line.startsWith("orrery")) kept.add(line);
        return String.join("\n", kept);
    }

    /**
     * What the source printed followed by what the destination printed must read as one run: rounds 0, 1, 2, ...
     * with none missing or repeated (a line cut by the save is finished by the destination). Returns the last.
     */
    private static int assertOneRun(String source, String destination) {
        Matcher m = ROUND.matcher(guestLines(source) + guestLines(destination));
        int expected = 0;
        while (m.find()) {
            assertEquals(expected, Integer.parseInt(m.group(1)), "rounds out of sequence across the migration:\n--- source\n"
                    + source + "\n--- destination\n" + destination);
            expected++;
        }
        return expected - 1;
    }

    private static JsonNode awaitMigration(QmpClient q) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode m = q.call("query-migrate");
            String s = m.path("status").asText();
            if (s.equals("completed") || s.equals("failed") || s.equals("cancelled")) return m;
            assertTrue(System.nanoTime() < deadline, "migration still " + s);
            Thread.sleep(20);
        }
    }

    private static void awaitStatus(QmpClient q, String status) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!q.call("query-status").path("status").asText().equals(status)) {
            assertTrue(System.nanoTime() < deadline, "status never became " + status + ": " + q.call("query-status"));
            Thread.sleep(20);
        }
    }

    @Test void liveMigrationOverAUnixSocketCarriesOnInTheOtherProcess() throws Exception {
        migrateWhileRunning("unix:" + tmp.resolve("mig.sock"));
    }

    @Test void liveMigrationOverTcpCarriesOnInTheOtherProcess() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) { port = s.getLocalPort(); }
        migrateWhileRunning("tcp:127.0.0.1:" + port);
    }

    private void migrateWhileRunning(String uri) throws Exception {
        Path dstQmp = tmp.resolve("dst.qmp"), srcQmp = tmp.resolve("src.qmp");
        try (Orrery dst = Orrery.start(guest(longElf, "-incoming", uri, "-qmp", "unix:" + dstQmp + ",server=on,wait=off"));
             Orrery src = Orrery.start(guest(longElf, "-qmp", "unix:" + srcQmp + ",server=on,wait=off"))) {
            QmpClient qd = dst.qmp(dstQmp), qs = src.qmp(srcQmp);
            assertEquals("inmigrate", qd.call("query-status").path("status").asText());
            src.await("round 3 ", Duration.ofSeconds(60));
            qs.call("migrate-set-capabilities", (ObjectNode) F.objectNode().set("capabilities",
                    F.arrayNode().add(F.objectNode().put("capability", "events").put("state", true))));
            qs.call("migrate", F.objectNode().put("uri", uri));
            JsonNode done = awaitMigration(qs);
            assertEquals("completed", done.path("status").asText(), done.toString());
            assertTrue(done.path("ram").path("duplicate").asLong() > 0, "zero pages were skipped: " + done);
            assertEquals("postmigrate", qs.call("query-status").path("status").asText());
            awaitStatus(qd, "running");
            int sourceLast = lastRound(src.output());
            dst.await("round " + (sourceLast + 3) + " ", Duration.ofSeconds(60));
            assertTrue(assertOneRun(src.output(), dst.output()) >= sourceLast + 3);
            assertEquals(sourceLast, lastRound(src.output()), "the source stayed stopped");
            // what was carried: every device's declared state, introspectable
            JsonNode uart = null, hart = null;
            for (JsonNode d : qd.call("x-query-vmstate")) {
                if (d.path("type").asText().equals("ns16550a")) uart = d.path("state");
                if (d.path("path").asText().startsWith("hart")) hart = d.path("state");
            }
            assertTrue(uart != null && uart.path("version").asInt() >= 1 && uart.path("fields").toString().contains("\"registers\""),
                    "x-query-vmstate describes the UART: " + uart);
            assertTrue(hart != null && hart.path("fields").toString().contains("\"pc\""), "x-query-vmstate describes the hart: " + hart);
            qs.call("quit");
            qd.call("quit");
        }
    }

    @Test void aStateRestoredTwiceUnderIcountRunsOnIdentically() throws Exception {
        Path state = tmp.resolve("icount.state"), qmp = tmp.resolve("save.qmp");
        int saved;
        List<String> sourceOutputs = new ArrayList<>();
        try (Orrery src = Orrery.start(guest(elf, "-icount", "shift=0,sleep=off", "-qmp", "unix:" + qmp + ",server=on,wait=off"))) {
            QmpClient q = src.qmp(qmp);
            src.await("round 20 ", Duration.ofSeconds(60));
            q.call("stop");
            saved = lastRound(src.output());
            q.call("migrate", F.objectNode().put("uri", "exec:cat > " + state));
            assertEquals("completed", awaitMigration(q).path("status").asText());
            sourceOutputs.add(src.output());
            q.call("quit");
        }
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path sock = tmp.resolve("restore" + i + ".qmp");
            try (Orrery dst = Orrery.start(guest(elf, "-icount", "shift=0,sleep=off", "-incoming", "exec:cat " + state,
                    "-qmp", "unix:" + sock + ",server=on,wait=off"))) {
                QmpClient q = dst.qmp(sock);
                awaitStatus(q, "paused");   // the source was stopped when it was saved
                q.call("cont");
                assertTrue(dst.process.waitFor(120, TimeUnit.SECONDS), "the restored guest did not finish:\n" + dst.output());
                String out = dst.output();
                assertTrue(out.contains("clocks: done"), out);
                runs.add(guestLines(out));
            }
        }
        assertEquals(runs.get(0), runs.get(1), "two restores of one state ran differently");

        // a state cut short: the machine says why and refuses to run on half of it; the process stays
        Path cut = tmp.resolve("cut.state");
        byte[] whole = Files.readAllBytes(state);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        Path sock = tmp.resolve("cut.qmp");
        try (Orrery dst = Orrery.start(guest(elf, "-incoming", "exec:cat " + cut, "-qmp", "unix:" + sock + ",server=on,wait=off"))) {
            QmpClient q = dst.qmp(sock);
            JsonNode m = awaitMigration(q);
            assertEquals("internal-error", q.call("query-status").path("status").asText());
            assertEquals("failed", m.path("status").asText(), m.toString());
            assertTrue(m.path("error-desc").asText().contains("ended early"), m.toString());
            assertTrue(dst.process.isAlive());
            q.call("quit");
        }
        assertTrue(assertOneRun(sourceOutputs.get(0), runs.get(0)) > saved, "the restored guest went on after round " + saved);
    }

    private static String qemuImg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "qemu-img " + List.of(args) + " hangs");
        assertEquals(0, p.exitValue(), "qemu-img " + List.of(args) + ":\n" + out);
        return out;
    }

    private static String word(Orrery o, long address) throws Exception {
        String out = o.uboot(String.format("md.l 0x%x 1", address), Duration.ofSeconds(20));
        Matcher m = Pattern.compile(String.format("%08x: ([0-9a-f]{8})", address)).matcher(out);
        assertTrue(m.find(), "md.l printed: " + out);
        return m.group(1);
    }

    private static ObjectNode job(String id, String tag, String node) {
        ObjectNode a = F.objectNode().put("job-id", id).put("tag", tag).put("vmstate", node);
        a.putArray("devices").add(node);
        return a;
    }

    private static String awaitJob(QmpClient q, String id) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (JsonNode j : q.call("query-jobs"))
                if (j.path("id").asText().equals(id) && j.path("status").asText().equals("concluded")) {
                    q.call("job-dismiss", F.objectNode().put("id", id));
                    return j.path("error").asText(null);
                }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " did not conclude: " + q.call("query-jobs"));
    }

    @Test void savevmLoadvmAndSnapshotJobsKeepTheStateInTheQcow2Disk() throws Exception {
        Path img = tmp.resolve("disk.qcow2"), sock = tmp.resolve("uboot.qmp");
        qemuImg("create", "-f", "qcow2", img.toString(), "32M");
        long at = 0x84000000L;
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-nographic",
                "-bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin", "-kernel", Orrery.UBOOT_SMODE.toString(),
                "-drive", "file=" + img + ",if=none,id=d0,format=qcow2", "-device", "virtio-blk-device,drive=d0",
                "-qmp", "unix:" + sock + ",server=on,wait=off"))) {
            QmpClient q = o.qmp(sock);
            o.await("Hit any key", Duration.ofSeconds(60));
            o.uboot("", Duration.ofSeconds(20));
            // the guest also writes the disk, so the snapshot has disk contents to keep
            o.uboot("mw.l 0x84000000 0x5afe0001", Duration.ofSeconds(20));
            o.uboot("virtio scan; virtio write 0x84000000 0 1", Duration.ofSeconds(20));
            String hmp = q.call("human-monitor-command", F.objectNode().put("command-line", "savevm s1")).asText();
            assertEquals("", hmp.strip(), "savevm says: " + hmp);
            o.uboot("mw.l 0x84000000 0xbad00002", Duration.ofSeconds(20));
            o.uboot("virtio write 0x84000000 0 1", Duration.ofSeconds(20));
            assertEquals("bad00002", word(o, at));
            q.call("human-monitor-command", F.objectNode().put("command-line", "loadvm s1"));
            assertEquals("5afe0001", word(o, at), "RAM after loadvm s1");
            o.uboot("mw.l 0x84000000 0", Duration.ofSeconds(20));
            o.uboot("virtio read 0x84000000 0 1", Duration.ofSeconds(20));
            assertEquals("5afe0001", word(o, at), "the disk after loadvm s1 (its sector 0 as saved)");
            String listing = q.call("human-monitor-command", F.objectNode().put("command-line", "info snapshots")).asText();
            assertTrue(listing.contains("s1"), listing);

            String node = null;
            for (JsonNode b : q.call("query-block")) if (b.path("device").asText().equals("d0")) node = b.path("inserted").path("node-name").asText();
            assertTrue(node != null && !node.isEmpty(), "query-block names d0's node");
            o.uboot("mw.l 0x84000000 0xc0ffee03", Duration.ofSeconds(20));
            q.call("snapshot-save", job("save-s2", "s2", node));
            assertEquals(null, awaitJob(q, "save-s2"));
            o.uboot("mw.l 0x84000000 0x0dd00004", Duration.ofSeconds(20));
            q.call("snapshot-load", job("load-s2", "s2", node));
            assertEquals(null, awaitJob(q, "load-s2"));
            assertEquals("c0ffee03", word(o, at), "RAM after snapshot-load s2");
            q.call("snapshot-save", job("again-s2", "s2", node));
            assertTrue(awaitJob(q, "again-s2").contains("already exists"), "snapshot-save refuses a tag that exists");
            ObjectNode delete = F.objectNode().put("job-id", "delete-s1").put("tag", "s1");
            delete.putArray("devices").add(node);
            q.call("snapshot-delete", delete);
            assertEquals(null, awaitJob(q, "delete-s1"));
            q.call("quit");
            assertTrue(o.process.waitFor(30, TimeUnit.SECONDS));
        }
        String snapshots = qemuImg("snapshot", "-l", img.toString());
        assertTrue(snapshots.contains("s2") && !snapshots.contains(" s1 "), snapshots);
        qemuImg("check", img.toString());

        // -loadvm: a new process starts from the snapshot, at U-Boot's prompt with the RAM it had
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-nographic",
                "-bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin", "-kernel", Orrery.UBOOT_SMODE.toString(),
                "-drive", "file=" + img + ",if=none,id=d0,format=qcow2", "-device", "virtio-blk-device,drive=d0", "-loadvm", "s2",
                "-qmp", "unix:" + tmp.resolve("loadvm.qmp") + ",server=on,wait=off"))) {
            // what is typed before the state is in would land in the UART the state then replaces
            awaitStatus(o.qmp(tmp.resolve("loadvm.qmp")), "running");
            assertEquals("c0ffee03", word(o, at), "RAM of a process started with -loadvm s2");
            assertTrue(!o.output().contains("OpenSBI"), "the firmware did not run again:\n" + o.output());
        }
    }
}
