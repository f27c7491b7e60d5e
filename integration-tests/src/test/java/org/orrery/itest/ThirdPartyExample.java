package org.orrery.itest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * examples/third-party-device, built the way docs/writing-a-device.md tells a newcomer to build it: the
 * commands are the doc's own (its {@code <!-- e2e: build -->} block), run in the repository root against the
 * local Maven repository the reactor just installed Orrery's API into. Built at most once per test JVM, and
 * only when a source is newer than the jar.
 */
final class ThirdPartyExample {
    private ThirdPartyExample() {
    }

    static Path folder() {
        return DistributionLayout.repositoryRoot().resolve("examples/third-party-device");
    }

    static Path jar() {
        return folder().resolve("target/edu-mmio-1.0.0.jar");
    }

    static Path guest() {
        return folder().resolve("target/edu-test.elf");
    }

    private static boolean built;

    /** How long the last build took, for the report. */
    static long buildMillis;

    /** Builds the bundle and the guest program with the doc's commands, once per test JVM; returns the jar. */
    static synchronized Path build() throws IOException, InterruptedException {
        if (built && Files.exists(jar()) && Files.exists(guest()) && newestSource().compareTo(Files.getLastModifiedTime(jar())) <= 0) {
            return jar();
        }
        long started = System.nanoTime();
        for (String command : WritingADeviceDoc.load().blocks("build").get(0).lines()) {
            run(command);
        }
        buildMillis = (System.nanoTime() - started) / 1_000_000;
        if (!Files.exists(jar()) || !Files.exists(guest())) {
            throw new AssertionError("building the example made no " + jar() + " or " + guest());
        }
        built = true;
        return jar();
    }

    private static FileTime newestSource() throws IOException {
        FileTime newest = FileTime.fromMillis(0);
        for (Path root : List.of(folder().resolve("src"), folder().resolve("guest"), folder().resolve("pom.xml"), folder().resolve("bnd.bnd"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    FileTime t = Files.getLastModifiedTime(p);
                    if (t.compareTo(newest) > 0) newest = t;
                }
            }
        }
        return newest;
    }

    /** Runs one shell line of the doc in the repository root; Maven uses the build's local repository. */
    static void run(String commandLine) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", commandLine));
        ProcessBuilder builder = new ProcessBuilder(command).directory(DistributionLayout.repositoryRoot().toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        String repo = System.getProperty("org.ops4j.pax.url.mvn.localRepository");
        if (repo != null && !repo.isBlank()) {
            builder.environment().put("MAVEN_OPTS", "-Dmaven.repo.local=" + repo);
        }
        Process p = builder.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError("'" + commandLine + "' failed:\n" + new String(out, StandardCharsets.UTF_8));
        }
    }
}
