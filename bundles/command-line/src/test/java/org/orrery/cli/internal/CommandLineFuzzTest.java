package org.orrery.cli.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.qom.Value;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of fuzzed command lines through the real launcher, command layer and machine runtime (with a
 * small board): each is either accepted or refused with one line "orrery: ...", quickly, and never with
 * anything but that refusal; afterwards a good command line still builds a machine that answers.
 * {@code -Dorrery.fuzz.seed=N} replays another seed; the count tried is printed.
 */
class CommandLineFuzzTest {
    private static final int INPUTS = Integer.getInteger("orrery.fuzz.inputs", 3000);
    private static final long SEED = Long.getLong("orrery.fuzz.seed", 26);
    private static final Duration PER_INPUT = Duration.ofSeconds(2);

    @Test void everyFuzzedCommandLineIsAcceptedOrRefusedInOneLine(@TempDir Path scratch) throws Exception {
        CommandLineFuzz.prepare(scratch);
        try (LauncherFixture f = new LauncherFixture()) {
            CommandLineFuzz fuzz = new CommandLineFuzz(SEED, List.of("test", "gizmo", "test-machine", "device", "nosuch", "gizmo,addr=1"), scratch);
            int refused = 0, accepted = 0;
            for (int i = 0; i < INPUTS; i++) {
                List<String> args = new ArrayList<>(List.of("-machine", "test", "-S"));
                args.addAll(fuzz.next());
                String input = "seed " + SEED + " input " + i + ": " + CommandLineFuzz.show(args);
                long t0 = System.nanoTime();
                try {
                    assertTimeoutPreemptively(PER_INPUT.multipliedBy(5), () -> f.launcher.launch(args), "hangs: " + input);
                    accepted++;
                } catch (CommandLineException e) {
                    String line = e.line();
                    assertTrue(line.startsWith("orrery: ") && line.length() > "orrery: ".length(), input + " -> " + line);
                    assertTrue(line.lines().count() == 1, "more than one line: " + input + " -> " + line);
                    refused++;
                } catch (Throwable t) {
                    fail(input + " -> not a one-line refusal but " + t, t);
                }
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertTrue(took.compareTo(PER_INPUT) < 0, input + " took " + took.toMillis() + " ms");
                for (Machine m : f.machines.machines()) f.machines.destroy(m);
            }
            System.out.printf("command-line fuzz (in-process): %d inputs tried, %d refused in one line, %d accepted (seed %d)%n",
                    INPUTS, refused, accepted, SEED);
            assertEquals(INPUTS, refused + accepted);
            assertTrue(refused > INPUTS / 2, "the fuzzer should mostly produce bad input; refused only " + refused);
            // the runtime under it is still whole: a good command line builds a machine that answers
            Machine m = f.launcher.launch(List.of("-machine", "test", "-m", "64M", "-device", "gizmo,id=g0", "-S")).machine();
            assertEquals("prelaunch", f.commands.execute(m.tree(), "query-status", Value.ofJson("a", JsonNodeFactory.instance.objectNode()),
                    Session.INTERNAL).path("status").asText());
        }
    }
}
