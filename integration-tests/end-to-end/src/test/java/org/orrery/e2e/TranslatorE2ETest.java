package org.orrery.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;

/**
 * The translator as a user sees it: Debian's OpenSBI and U-Boot reach U-Boot's prompt with guest code
 * translated from the start (-accel tcg,x-warmup=0; x-query-jit and the monitor's info jit report it),
 * -accel tcg,x-translate=off runs the same boot on the interpreter alone, and -d in_asm writes each
 * translated region to the -D log.
 */
@Tag("e2e")
class TranslatorE2ETest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    @TempDir Path tmp;

    private static JsonNode jit(QmpClient q) {
        JsonNode all = q.call("x-query-jit");
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    private static String hmp(QmpClient q, String command) {
        return q.call("human-monitor-command", F.objectNode().put("command-line", command)).asText();
    }

    @Test void uBootRunsTranslatedAndTheMonitorsReportIt() throws Exception {
        Path sock = tmp.resolve("q.sock"), log = tmp.resolve("in_asm.log");
        // a boot is interpreted by default (x-warmup): translate from the first instruction on, as a long run would
        try (Orrery o = Orrery.start(List.of("-accel", "tcg,x-warmup=0,x-hot-threshold=50", "-machine", "virt", "-m", "256M",
                "-nographic", "-kernel", Orrery.UBOOT_SMODE.toString(), "-d", "in_asm", "-D", log.toString(), "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            o.await("Hit any key to stop autoboot", Duration.ofSeconds(120));
            JsonNode j = jit(q);
            assertEquals("translator", j.get("engine").asText(), j.toString());
            assertTrue(j.get("translations").asLong() > 0 && j.get("regions").asLong() > 0, j.toString());
            assertTrue(j.get("hits").asLong() > 0 && j.get("translated-instructions").asLong() > 1_000_000, j.toString());
            assertTrue(j.get("code-bytes").asLong() > 0 && j.get("code-bytes").asLong() <= j.get("code-cache-size").asLong(), j.toString());
            String info = hmp(q, "info jit");
            assertTrue(info.contains("CPU #0 translation cache:") && info.contains("regions") && info.contains("% translated"), info);
            String listing = Files.readString(log);
            assertTrue(listing.contains("IN: region at 0x"), () -> "no translated region in the -d in_asm log:\n"
                    + listing.substring(0, Math.min(2000, listing.length())));
        }
    }

    @Test void theInterpreterAloneBootsTheSameFirmware() throws Exception {
        Path sock = tmp.resolve("q.sock");
        try (Orrery o = Orrery.start(List.of("-accel", "tcg,x-translate=off", "-machine", "virt", "-m", "256M", "-nographic",
                "-kernel", Orrery.UBOOT_SMODE.toString(), "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            o.await("Hit any key to stop autoboot", Duration.ofSeconds(120));
            assertEquals("interpreter", jit(q).get("engine").asText());
            assertTrue(hmp(q, "info jit").contains("interpreter only"));
        }
    }

    @Test void badAccelOptionsAreRefusedInOneLine() throws Exception {
        for (var c : List.of(List.of("kvm", "invalid accelerator kvm"), List.of("tcg,tb-size=lots", "Parameter 'tb-size' expects a number"),
                List.of("tcg,x-translate=maybe", "Parameter 'x-translate' expects 'on' or 'off'"),
                List.of("tcg,frobnicate=1", "Property 'tcg-accel.frobnicate' not found"))) {
            Orrery o = Orrery.run(List.of("-accel", c.get(0), "-machine", "virt", "-nographic"), Duration.ofSeconds(60));
            assertEquals(1, o.exitStatus(), o.output());
            assertTrue(o.output().contains(c.get(1)) && o.output().strip().lines().count() == 1, o.output());
        }
    }
}
