package org.orrery.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * -icount as a user runs it: the same guest (resources/icount/clocks.c, built now: generated work, the time
 * read three ways, timer interrupts re-armed with generated periods, WFI) prints the same bytes on every run,
 * and its time is its instruction count.
 */
@Tag("e2e")
class IcountE2ETest {
    private static final Pattern ROUND = Pattern.compile("round (\\d+) rdtime (\\d+) mtime (\\d+) minstret (\\d+) irqs (\\d+)");
    private static Path elf;

    @TempDir Path tmp;

    @BeforeAll static void buildGuest() throws Exception {
        Path sources = Files.createTempDirectory("icount");
        for (String f : List.of("start.S", "clocks.c", "icount.ld")) {
            try (InputStream in = IcountE2ETest.class.getResourceAsStream("/icount/" + f)) {
                Files.copy(in, sources.resolve(f));
            }
        }
        elf = sources.resolve("clocks.elf");
        Process p = new ProcessBuilder("riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2",
                "-nostdlib", "-nostartfiles", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-Wl,--no-warn-rwx-segments",
                "-T", "icount.ld", "start.S", "clocks.c", "-o", elf.toString())
                .directory(sources.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "building the guest failed:\n" + out);
    }

    private static String run(String icount) throws Exception {
        Orrery o = Orrery.run(List.of("-machine", "virt", "-bios", "none", "-nographic", "-icount", icount, "-kernel", elf.toString()),
                Duration.ofSeconds(120));
        assertEquals(0, o.exitStatus(), o.output());
        String out = o.output();
        int from = out.indexOf("clocks: start"), to = out.indexOf("clocks: done");
        assertTrue(from >= 0 && to > from, "the guest did not run to its end:\n" + out);
        return out.substring(from, out.indexOf('\n', to) + 1);
    }

    @Test void twoRunsPrintTheSameBytesAndTimeIsTheInstructionCount() throws Exception {
        String first = run("shift=0,sleep=off"), second = run("shift=0,sleep=off");
        assertEquals(first, second, "two -icount runs differ");
        List<long[]> rounds = new ArrayList<>();
        Matcher m = ROUND.matcher(first);
        while (m.find()) rounds.add(new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5))});
        assertTrue(rounds.size() > 100, "rounds: " + rounds.size());
        assertTrue(rounds.get(rounds.size() - 1)[3] > 100, "timer interrupts were taken:\n" + first.lines().limit(5).toList());
        // before the first WFI no time was skipped: at shift 0 an instruction is 1 ns, a 10 MHz tick 100 of them
        // (minstret is read a few thousand instructions of printing after rdtime)
        long[] r0 = rounds.get(0);
        long ticks = r0[2] / 100;
        assertTrue(r0[0] <= ticks && ticks - r0[0] < 100, "rdtime " + r0[0] + " and minstret " + r0[2] + " disagree");
        // WFI skips to the next deadline: time runs ahead of the instructions, never behind
        long[] last = rounds.get(rounds.size() - 1);
        assertTrue(last[0] > last[2] / 100 + 1000, "idle time was skipped: rdtime " + last[0] + ", minstret " + last[2]);
        for (int i = 1; i < rounds.size(); i++) assertTrue(rounds.get(i)[1] >= rounds.get(i - 1)[1], "mtime went back");
    }

    @Test void sleepOnAndShiftAutoRunToTheEnd() throws Exception {
        String out = run("auto");
        assertTrue(out.contains("clocks: done"), out);
    }

    @Test void whatIcountCannotDoIsRefusedClearly() throws Exception {
        List<String> virt = List.of("-machine", "virt", "-bios", "none", "-nographic", "-S");
        assertRefused(virt, List.of("-icount", "shift=11"), "icount: Invalid shift value");
        assertRefused(virt, List.of("-icount", "sleep=maybe"), "Parameter 'sleep' expects 'on' or 'off'");
        assertRefused(virt, List.of("-icount", "align=on"), "align=on is not supported");
        assertRefused(virt, List.of("-icount", "0", "-smp", "2"), "-icount runs one hart");
    }

    private static void assertRefused(List<String> base, List<String> extra, String expected) throws Exception {
        List<String> args = new ArrayList<>(base);
        args.addAll(extra);
        Orrery o = Orrery.run(args, Duration.ofSeconds(60));
        assertEquals(1, o.exitStatus(), o.output());
        String[] lines = o.output().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("orrery: ") && last.contains(expected), "expected one clear line with '" + expected + "', got:\n" + o.output());
    }
}
