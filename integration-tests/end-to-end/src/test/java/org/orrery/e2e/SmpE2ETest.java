package org.orrery.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

/**
 * Issue 19 as a user sees it: -smp 4 gives OpenSBI four harts and QMP four CPUs on four host threads, and
 * the atomics stress guest (resources/smp-stress, built now) runs on four harts for minutes of guest time
 * with both engines, paused and resumed from QMP while it runs, without losing one update.
 */
@Tag("e2e")
class SmpE2ETest {
    private static final Path OPENSBI = Path.of("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin");
    private static final Pattern STRESS_LINE = Pattern.compile("stress harts (\\d+) rounds (\\d+) .* (PASS|FAIL)");
    private static Path sources;

    @TempDir Path tmp;

    @BeforeAll static void copySources() throws IOException {
        sources = Files.createTempDirectory("smp-stress");
        for (String f : List.of("start.S", "stress.c", "stress.ld")) {
            try (InputStream in = SmpE2ETest.class.getResourceAsStream("/smp-stress/" + f)) {
                Files.copy(in, sources.resolve(f));
            }
        }
    }

    /** Builds the stress guest to run for {@code seconds} of guest time. */
    private static Path stressGuest(int seconds) throws Exception {
        Path elf = sources.resolve("stress-" + seconds + ".elf");
        if (Files.exists(elf)) return elf;
        Process p = new ProcessBuilder("riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2",
                "-nostdlib", "-nostartfiles", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-Wl,--no-warn-rwx-segments",
                "-DSECONDS=" + seconds, "-T", "stress.ld", "start.S", "stress.c", "-o", elf.toString())
                .directory(sources.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "building the stress guest failed:\n" + out);
        return elf;
    }

    @Test void openSbiSeesFourHartsAndQmpFourCpusOnFourThreads() throws Exception {
        Path sock = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-smp", "4", "-nographic", "-bios", OPENSBI.toString(),
                "-kernel", Orrery.UBOOT_SMODE.toString(), "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            o.await("Hit any key to stop autoboot", Duration.ofSeconds(180));
            assertTrue(Pattern.compile("Platform HART Count\\s*: 4").matcher(o.output()).find(), o.output());
            JsonNode cpus = q.call("query-cpus-fast");
            assertEquals(4, cpus.size(), cpus.toString());
            Set<Long> threads = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                JsonNode c = cpus.get(i);
                assertEquals(i, c.get("cpu-index").asInt(), cpus.toString());
                assertEquals(i, c.at("/props/core-id").asInt(), cpus.toString());
                assertTrue(c.get("qom-path").asText().startsWith("/machine/"), cpus.toString());
                threads.add(c.get("thread-id").asLong());
                // the thread id is a real host thread of this process, as QEMU reports its vCPU threads
                assertTrue(Files.exists(Path.of("/proc", Long.toString(o.process.pid()), "task", c.get("thread-id").asText())), c.toString());
            }
            assertEquals(4, threads.size(), "each hart has its own host thread: " + cpus);
        }
    }

    /**
     * Minutes of AMO, LR/SC and lock traffic between four harts on translated code, with QMP stop/cont in between
     * and, meanwhile, QMP queries that run while the harts go on (qom-get, query-status, query-cpus-fast, x-query-jit).
     */
    @Test void fourHartsLoseNoUpdateForMinutesTranslatedWhilePausedAndResumed() throws Exception {
        Path sock = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-bios", "none", "-smp", "4", "-nographic",
                "-accel", "tcg,x-warmup=0", "-kernel", stressGuest(90).toString(),
                "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            var typeOfMachine = JsonNodeFactory.instance.objectNode()
                    .put("path", "/machine").put("property", "type");
            // every few seconds the whole machine stops at a safe point and goes on: the counters must not notice
            for (int i = 0; i < 10 && o.process.isAlive(); i++) {
                long until = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < until && o.process.isAlive()) {
                    assertEquals("virt-machine", q.call("qom-get", typeOfMachine).asText());
                    assertEquals("running", q.call("query-status").get("status").asText());
                    assertEquals(4, q.call("query-cpus-fast").size());
                    assertEquals(4, q.call("x-query-jit").size());
                }
                if (!o.process.isAlive()) break;
                q.call("stop");
                assertEquals("paused", q.call("query-status").get("status").asText());
                assertEquals(4, q.call("query-cpus-fast").size());
                q.call("cont");
            }
            assertPassed(o, 4, Duration.ofMinutes(6));
        }
    }

    @Test void fourHartsLoseNoUpdateOnTheInterpreter() throws Exception {
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-bios", "none", "-smp", "4", "-nographic",
                "-accel", "tcg,x-translate=off", "-kernel", stressGuest(30).toString()))) {
            assertPassed(o, 4, Duration.ofMinutes(3));
        }
    }

    private static void assertPassed(Orrery o, int harts, Duration limit) throws Exception {
        assertTrue(o.process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS), "the stress guest did not finish:\n" + o.output());
        Thread.sleep(50);
        Matcher m = STRESS_LINE.matcher(o.output());
        assertTrue(m.find(), "no result line:\n" + o.output());
        assertEquals(harts, Integer.parseInt(m.group(1)), m.group());
        assertTrue(Long.parseLong(m.group(2)) > 10_000, "hardly any rounds ran: " + m.group());
        assertEquals("PASS", m.group(3), m.group());
        assertEquals(0, o.exitStatus(), "the guest passes through the test device: " + o.output());
    }
}
