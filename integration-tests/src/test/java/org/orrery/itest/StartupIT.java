package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What the start-up work must not change, tested on ./orrery as users run it: a QMP client that talks at
 * once gets the fully started container's answers, -d startup names the milestones, and a changed jar
 * never runs from a kept cache.
 */
public class StartupIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void aClientThatTalksAtOnceGetsTheFullyStartedContainersAnswers() throws Exception {
        Path socket = temp.getRoot().toPath().resolve("qmp.sock");
        try (OrreryProcess orrery = OrreryProcess.start("-machine", "virt", "-nographic", "-serial", "null", "-monitor", "none", "-S",
                "-qmp", "unix:" + socket + ",server=on,wait=off");
             QmpSocket qmp = QmpSocket.connect(socket, TIMEOUT)) {
            assertTrue(qmp.greeting.toString(), qmp.greeting.has("QMP"));
            assertTrue(qmp.execute("qmp_capabilities").has("return"));
            // the front-ends that start while the command line runs are in the very first listing
            Set<String> commands = new HashSet<>();
            for (JsonNode c : qmp.execute("query-commands").get("return")) commands.add(c.get("name").asText());
            assertTrue(commands.toString(), commands.containsAll(Set.of("query-status", "human-monitor-command", "gdbserver", "dbus-add")));
            // and so are the types of the bundles that start after the command line (display and PCI devices)
            Set<String> types = new HashSet<>();
            for (JsonNode t : qmp.execute("qom-list-types").get("return")) types.add(t.get("name").asText());
            assertTrue(types.toString(), types.containsAll(Set.of("virtio-gpu-device", "bochs-display", "virtio-net-pci", "virtio-rng-pci")));
            JsonNode hmp = qmp.execute("human-monitor-command", QmpSocket.JSON.createObjectNode().put("command-line", "info status"));
            assertEquals(hmp.toString(), "VM status: paused (prelaunch)", hmp.path("return").asText().strip());
            assertEquals("prelaunch", qmp.execute("query-status").get("return").get("status").asText());
        }
    }

    @Test
    public void dStartupNamesTheMachineBuiltAndTheGuestsFirstInstruction() throws Exception {
        try (OrreryProcess orrery = OrreryProcess.start("-machine", "virt", "-nographic", "-serial", "null", "-monitor", "none",
                "-d", "startup")) {
            orrery.awaitStderr(err -> err.contains("first guest instruction"), TIMEOUT);
            Matcher built = Pattern.compile("startup: \\+([\\d.]+) ms machine built").matcher(orrery.stderr());
            Matcher first = Pattern.compile("startup: \\+([\\d.]+) ms first guest instruction").matcher(orrery.stderr());
            assertTrue(orrery.transcript(), built.find() && first.find());
            double builtMs = Double.parseDouble(built.group(1));
            assertTrue(orrery.transcript(), builtMs > 0 && Double.parseDouble(first.group(1)) >= builtMs);
        }
    }

    /**
     * The bundles a command line does not use are not started at all, so they take nothing from the guest: a command
     * of one of them, when first used, starts that bundle alone (the human monitor that -nographic puts on stdio, or
     * a client's human-monitor-command), and the monitor answers; a listing of the commands starts everything.
     */
    @Test
    public void bundlesTheCommandLineDoesNotUseStartOnlyWhenSomethingNeedsThem() throws Exception {
        Map<String, String> trace = Map.of("ORRERY_JAVA_OPTS", "-Dorrery.startup.trace=true");
        Path socket = temp.getRoot().toPath().resolve("later.sock");
        try (OrreryProcess orrery = OrreryProcess.startWith(trace, "-machine", "virt", "-nographic", "-serial", "null",
                "-monitor", "none", "-S", "-d", "startup", "-qmp", "unix:" + socket + ",server=on,wait=off");
             QmpSocket qmp = QmpSocket.connect(socket, TIMEOUT)) {
            orrery.awaitStderr(err -> err.contains("the command line is done"), TIMEOUT);
            assertTrue(milestone(orrery.stderr(), "machine built") <= milestone(orrery.stderr(), "the command line is done"));
            assertTrue(qmp.execute("qmp_capabilities").has("return"));
            JsonNode hmp = qmp.execute("human-monitor-command", QmpSocket.JSON.createObjectNode().put("command-line", "info status"));
            assertEquals(hmp.toString(), "VM status: paused (prelaunch)", hmp.path("return").asText().strip());
            String err = orrery.stderr();
            assertTrue(orrery.transcript(), err.contains("started org.orrery.human-monitor for human-monitor-command"));
            assertFalse(orrery.transcript(), err.contains("the rest of the start was asked for") || err.contains("every bundle started")
                    || err.contains("org.orrery.dbus"));
            Set<String> commands = new HashSet<>();
            for (JsonNode c : qmp.execute("query-commands").get("return")) commands.add(c.get("name").asText());
            assertTrue(commands.toString(), commands.containsAll(Set.of("gdbserver", "dbus-add", "migrate", "netdev_add")));
            assertTrue(orrery.transcript(), orrery.stderr().contains("every bundle started"));
        }
        try (OrreryProcess orrery = OrreryProcess.startWith(trace, "-machine", "virt", "-nographic", "-S")) {
            orrery.awaitStderr(err -> err.contains("the command line is done"), TIMEOUT);
            String err = orrery.stderr();
            assertTrue(orrery.transcript(), err.contains("started org.orrery.human-monitor for human-monitor-add"));
            assertFalse(orrery.transcript(), err.contains("the rest of the start was asked for"));
            orrery.send("\u0001c");
            orrery.send("info status");
            orrery.awaitStdout(out -> out.contains("VM status: paused"), TIMEOUT);
        }
    }

    private static double milestone(String stderr, String name) {
        Matcher m = Pattern.compile("startup: \\+([\\d.]+) ms " + Pattern.quote(name)).matcher(stderr);
        assertTrue(stderr, m.find());
        return Double.parseDouble(m.group(1));
    }

    /**
     * A kept bundle cache holds what Declarative Services parsed from each bundle; a jar replaced by
     * another (as a rebuild or an upgrade does) must be read anew. The probe's component says which
     * generation of the jar is running.
     */
    @Test
    public void aChangedJarNeverRunsFromAStaleCache() throws Exception {
        Path home = copyOfTheDistribution();
        Path probe = home.resolve("bundles/zz-probe.jar");
        writeProbe(probe, 1);
        Map<String, String> environment = Map.of("ORRERY_DIST", home.toString());

        assertEquals(1, generationRunning(environment));
        try (Stream<Path> metadata = Files.walk(home.resolve("cache"))) {
            assertTrue("the first run kept its bundle cache with the component descriptions",
                    metadata.anyMatch(p -> p.getFileName().toString().equals("componentMetadataStore")));
        }
        assertEquals("a second run reuses the kept cache", 1, generationRunning(environment));

        Path staging = temp.getRoot().toPath().resolve("zz-probe.jar");
        writeProbe(staging, 2);
        Files.move(staging, probe, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(2, generationRunning(environment));
    }

    private Path copyOfTheDistribution() throws IOException {
        Path home = temp.newFolder("orrery").toPath();
        for (String folder : List.of("lib", "system", "bundles")) {
            Files.createDirectories(home.resolve(folder));
            try (Stream<Path> jars = Files.list(DistributionLayout.home().resolve(folder))) {
                for (Path jar : jars.toList()) Files.copy(jar, home.resolve(folder).resolve(jar.getFileName()));
            }
        }
        return home;
    }

    /** The generation the probe's component reports in the bare container's shell; the container then exits. */
    private static int generationRunning(Map<String, String> environment) throws Exception {
        try (OrreryProcess orrery = OrreryProcess.startWith(environment)) {
            String info = orrery.gogo("scr:info org.orrery.itest.probe", TIMEOUT);
            orrery.closeStdin();
            assertEquals(orrery.transcript(), Integer.valueOf(0), orrery.awaitExit(TIMEOUT).orElse(-1));
            Matcher m = Pattern.compile("probe\\.generation\\D*(\\d+)").matcher(info);
            assertTrue("scr:info shows no probe.generation:\n" + info + "\n" + orrery.transcript(), m.find());
            assertFalse(orrery.stderr(), orrery.stderr().contains("Exception"));
            return Integer.parseInt(m.group(1));
        }
    }

    /** A bundle whose only content is a component (of a JDK class) with a property naming its generation. */
    private static void writeProbe(Path jar, int generation) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "org.orrery.itest.probe");
        main.putValue("Bundle-Version", generation + ".0.0");
        main.putValue("Service-Component", "OSGI-INF/probe.xml");
        String component = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"org.orrery.itest.probe\" immediate=\"true\">\n"
                + "  <implementation class=\"java.lang.Object\"/>\n"
                + "  <property name=\"probe.generation\" type=\"Integer\" value=\"" + generation + "\"/>\n"
                + "</scr:component>\n";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            jarOut.putNextEntry(new JarEntry("OSGI-INF/probe.xml"));
            jarOut.write(component.getBytes(StandardCharsets.UTF_8));
            jarOut.closeEntry();
        }
    }
}
