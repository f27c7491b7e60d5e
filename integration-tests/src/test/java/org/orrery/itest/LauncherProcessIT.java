package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** ./orrery as users run it: a real process, its exit status, stdout and stderr. */
public class LauncherProcessIT {
    /** Generous for a cold JVM on a busy CI machine; the tests return as soon as they can. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** What the hot-deploy promise is: a dropped or deleted jar takes effect within 2 s. */
    private static final Duration HOT_DEPLOY_LIMIT = Duration.ofSeconds(2);

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void versionPrintsTheBuildVersionAndExitsZero() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-version")) {
            assertEquals(Optional.of(0), orrery.awaitExit(START_TIMEOUT));
            String firstLine = orrery.stdout().lines().findFirst().orElse("");
            assertEquals("Orrery version " + System.getProperty("orrery.version"), firstLine);
            assertEquals("", orrery.stderr());
        }
    }

    @Test
    public void unknownOptionIsOneLineAndStatusOne() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-m", "64M", "-foo")) {
            assertEquals(Optional.of(1), orrery.awaitExit(START_TIMEOUT));
            assertEquals("orrery: -foo: invalid option\n", orrery.stderr());
            assertEquals("", orrery.stdout());
        }
    }

    @Test
    public void optionWithoutItsArgumentIsOneLineAndStatusOne() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-nographic", "-m")) {
            assertEquals(Optional.of(1), orrery.awaitExit(START_TIMEOUT));
            assertEquals("orrery: -m: requires an argument\n", orrery.stderr());
        }
    }

    @Test
    public void lbOnStdinListsEveryOrreryBundleActiveAndEofExitsZero() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start()) {
            orrery.send("lb");
            orrery.closeStdin();
            assertEquals(Optional.of(0), orrery.awaitExit(START_TIMEOUT));
            for (DistributionLayout.BundleJar bundle : DistributionLayout.orreryBundles()) {
                Pattern activeLine = Pattern.compile("(?m)^\\s*\\d+\\|Active\\s*\\|\\s*\\d+\\|" + Pattern.quote(bundle.name()) + " \\(");
                assertTrue(bundle.name() + " is not listed Active\n" + orrery.transcript(), activeLine.matcher(orrery.stdout()).find());
            }
            assertEquals("no errors expected\n" + orrery.transcript(), "", orrery.stderr());
        }
    }

    @Test
    public void ramTheHostCannotGiveIsOneLineSayingHowMuchAndStatusOne() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-machine", "virt", "-m", "200G", "-nographic", "-serial", "null", "-monitor", "none")) {
            assertEquals(Optional.of(1), orrery.awaitExit(START_TIMEOUT));
            assertTrue(orrery.transcript(), orrery.stderr().matches(
                    "orrery: cannot set up guest memory 'riscv_virt_board.ram': Cannot allocate memory \\(asked for 200 GiB; the host has .*\\)\n"));
        }
    }

    @Test
    public void aMissingKernelIsOneLineWithNoLogRecordBeforeIt() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-machine", "virt", "-kernel", "/nonexistent/kernel", "-nographic", "-serial", "null",
                "-monitor", "none")) {
            assertEquals(Optional.of(1), orrery.awaitExit(START_TIMEOUT));
            assertEquals("orrery: could not load kernel '/nonexistent/kernel': no such file\n", orrery.stderr());
        }
    }

    @Test
    public void aMachineThatEndsWithTheConsoleLeavesStderrEmpty() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-machine", "virt", "-S", "-shell", "-nographic", "-serial", "null", "-monitor", "none")) {
            assertTrue(orrery.gogo("qmp:query-status", START_TIMEOUT).contains("prelaunch"));
            orrery.closeStdin();
            // the bundles stop one by one as the container goes: no "device type removed" pause, no RAM warning
            assertEquals(Optional.of(0), orrery.awaitExit(START_TIMEOUT));
            assertEquals("no log records expected\n" + orrery.transcript(), "", orrery.stderr());
        }
    }

    @Test
    public void exitServiceSetsTheProcessStatus() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start()) {
            // Gogo can call any service: this is what a bundle does with the IntConsumer it looks up.
            orrery.send("(($.context getService ($.context getServiceReference java.util.function.IntConsumer)) accept 7)");
            assertEquals(Optional.of(7), orrery.awaitExit(START_TIMEOUT));
        }
    }

    @Test
    public void consoleDoesNotReadStdinWhileAMachineOwnsTheTerminal() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-M", "virt", "-S", "-nographic")) {
            orrery.send("lb");
            orrery.closeStdin();
            // With a console, EOF would stop the container at once; without one it keeps running.
            assertEquals(Optional.empty(), orrery.awaitExit(Duration.ofSeconds(3)));
            assertFalse(orrery.transcript(), orrery.stdout().contains("START LEVEL"));
        }
    }

    @Test
    public void droppedBundleBecomesActiveAndDeletedBundleGoes() throws Exception {
        Path watched = temp.newFolder("watched").toPath();
        try (OrreryProcess orrery = OrreryProcess.start("-bundles", watched.toString())) {
            orrery.gogo("lb -s", START_TIMEOUT);
            String name = "org.orrery.itest.dropped" + UUID.randomUUID().toString().replace("-", "");
            Path jar = TestBundles.drop(watched, name, null);
            Pattern active = Pattern.compile("(?m)\\|Active\\s*\\|\\s*\\d+\\|" + Pattern.quote(name) + " ");
            awaitGogo(orrery, "lb -s", out -> active.matcher(out).find(), "the dropped bundle to be Active");

            Files.delete(jar);
            awaitGogo(orrery, "lb -s", out -> !out.contains(name), "the deleted bundle to be uninstalled");
            assertEquals("no errors expected\n" + orrery.transcript(), "", orrery.stderr());
        }
    }

    @Test
    public void unresolvableBundleGivesOneLineAndTheContainerKeepsRunning() throws Exception {
        Path watched = temp.newFolder("watched").toPath();
        try (OrreryProcess orrery = OrreryProcess.start("-bundles", watched.toString())) {
            orrery.gogo("lb -s", START_TIMEOUT);
            String name = "org.orrery.itest.broken" + UUID.randomUUID().toString().replace("-", "");
            String missingPackage = "org.orrery.itest.nowhere";
            TestBundles.drop(watched, name, missingPackage);
            orrery.awaitStderr(err -> err.contains(name), HOT_DEPLOY_LIMIT);

            // Still alive and answering, with the broken bundle installed but not resolved.
            String listing = orrery.gogo("lb -s", Duration.ofSeconds(10));
            assertTrue(listing, Pattern.compile("\\|Installed\\s*\\|\\s*\\d+\\|" + Pattern.quote(name) + " ").matcher(listing).find());
            assertTrue(orrery.isAlive());
            long linesAboutIt = orrery.stderr().lines().filter(line -> line.contains(name)).count();
            assertEquals(orrery.transcript(), 1, linesAboutIt);
            String line = orrery.stderr().lines().filter(l -> l.contains(name)).findFirst().orElseThrow();
            assertTrue(line, line.startsWith("orrery: bundle " + name));
            assertTrue("the line names the missing requirement: " + line, line.contains("osgi.wiring.package=" + missingPackage));
        }
    }

    /**
     * Repeats a Gogo command until its output satisfies the condition; fails when that takes
     * longer than the hot-deploy limit (counted from the first try, i.e. from the file change).
     */
    private static void awaitGogo(OrreryProcess orrery, String command, java.util.function.Predicate<String> condition, String what)
            throws InterruptedException {
        long started = System.nanoTime();
        String last = "";
        while (Duration.ofNanos(System.nanoTime() - started).compareTo(HOT_DEPLOY_LIMIT) < 0) {
            last = orrery.gogo(command, Duration.ofSeconds(10));
            if (condition.test(last)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + HOT_DEPLOY_LIMIT.toMillis() + " ms waiting for " + what + "; last output:\n" + last
                + "\n" + orrery.transcript());
    }
}
