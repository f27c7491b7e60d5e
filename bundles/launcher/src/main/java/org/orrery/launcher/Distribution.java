package org.orrery.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The folder the launcher runs from: {@code lib/} (this jar and the framework),
 * {@code system/} (third-party bundles: SCR, Gogo, FileInstall, Jackson) and
 * {@code bundles/} (Orrery's own bundles).
 */
record Distribution(Path home) {

    /** Thrown when the distribution folder is missing or incomplete. */
    static final class IncompleteDistributionException extends Exception {
        IncompleteDistributionException(String message) {
            super(message);
        }
    }

    /**
     * Finds the distribution: the {@code orrery.home} system property when set (the
     * {@code orrery} script sets it), else the parent of the {@code lib/} folder holding this class.
     */
    static Distribution locate() throws IncompleteDistributionException {
        String configured = System.getProperty("orrery.home");
        Path home;
        if (configured != null) {
            home = Path.of(configured);
        } else {
            try {
                Path codeSource = Path.of(Distribution.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                home = codeSource.getParent().getParent();
            } catch (URISyntaxException | NullPointerException e) {
                throw new IncompleteDistributionException("cannot tell where the distribution is; set -Dorrery.home");
            }
        }
        Distribution distribution = new Distribution(home.toAbsolutePath().normalize());
        for (Path folder : List.of(distribution.systemBundles(), distribution.orreryBundles())) {
            if (!Files.isDirectory(folder)) {
                throw new IncompleteDistributionException("distribution incomplete: " + folder + " is missing (build it with ./orrery or mvn install)");
            }
        }
        return distribution;
    }

    /** The class path: the launcher, the framework and the bundles that run as part of the system bundle. */
    Path libraries() {
        return home.resolve("lib");
    }

    Path systemBundles() {
        return home.resolve("system");
    }

    Path orreryBundles() {
        return home.resolve("bundles");
    }

    /** Every jar of the distribution: the class path, system/ and bundles/. */
    List<Path> allJars() throws IOException {
        List<Path> jars = new java.util.ArrayList<>(jarsIn(libraries()));
        jars.addAll(jarsIn(systemBundles()));
        jars.addAll(jarsIn(orreryBundles()));
        return jars;
    }

    static List<Path> jarsIn(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }
}
