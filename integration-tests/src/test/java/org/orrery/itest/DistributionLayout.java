package org.orrery.itest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The assembled distribution under test (bundles/distribution/target/orrery), read the same
 * way the launcher reads it, so the tests never keep a second list of bundles.
 */
final class DistributionLayout {
    private DistributionLayout() {
    }

    /** A bundle jar of the distribution and the manifest headers the tests need. */
    record BundleJar(Path jar, String symbolicName, String name, boolean fragment) {
    }

    static Path home() {
        String configured = System.getProperty("orrery.distribution");
        if (configured == null) {
            throw new IllegalStateException("system property orrery.distribution is not set (run the tests through Maven)");
        }
        Path home = Path.of(configured).toAbsolutePath().normalize();
        if (!Files.isDirectory(home.resolve("bundles")) || !Files.isDirectory(home.resolve("system"))) {
            throw new IllegalStateException("no assembled distribution at " + home + " (build bundles/distribution first)");
        }
        return home;
    }

    static Path repositoryRoot() {
        return Path.of(System.getProperty("orrery.root", "..")).toAbsolutePath().normalize();
    }

    /**
     * The third-party bundles: system/, and the framework-level bundles of lib/ that the launcher runs on
     * the class path as part of the system bundle (Declarative Services, Jackson). The tests install those
     * as ordinary bundles, which they equally are.
     */
    static List<BundleJar> systemBundles() {
        List<BundleJar> bundles = new java.util.ArrayList<>(classPathBundles());
        bundles.addAll(bundlesIn(home().resolve("system")));
        return bundles;
    }

    /** The bundles in lib/: every jar there with a symbolic name except the framework itself. */
    static List<BundleJar> classPathBundles() {
        try (Stream<Path> entries = Files.list(home().resolve("lib"))) {
            return entries.filter(p -> p.toString().endsWith(".jar")).sorted()
                    .filter(DistributionLayout::isClassPathBundle).map(DistributionLayout::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isClassPathBundle(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.getManifest() != null && file.getManifest().getMainAttributes().getValue("Bundle-SymbolicName") != null
                    && file.getEntry("META-INF/services/org.osgi.framework.launch.FrameworkFactory") == null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<BundleJar> orreryBundles() {
        return bundlesIn(home().resolve("bundles"));
    }

    private static List<BundleJar> bundlesIn(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            List<BundleJar> bundles = entries.filter(p -> p.toString().endsWith(".jar")).sorted().map(DistributionLayout::read).toList();
            if (bundles.isEmpty()) {
                throw new IllegalStateException(folder + " holds no bundle jar");
            }
            return bundles;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BundleJar read(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Attributes main = file.getManifest().getMainAttributes();
            String symbolicName = main.getValue("Bundle-SymbolicName");
            if (symbolicName == null) {
                throw new IllegalStateException(jar + " is not a bundle (no Bundle-SymbolicName)");
            }
            return new BundleJar(jar, symbolicName.split(";")[0].strip(), main.getValue("Bundle-Name"), main.getValue("Fragment-Host") != null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
