package org.orrery.launcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.Constants;

/**
 * The bundles that ship in {@code lib/}, on the class path beside the framework, instead of being
 * installed into it: framework-level libraries every Orrery bundle runs on and that never change while
 * the container runs (Declarative Services, its OSGi APIs, Jackson). The JDK's ahead-of-time cache only
 * covers classes of the built-in class loaders, so only code here starts pre-linked. The system bundle
 * exports their packages and capabilities exactly as their manifests declare them, and starts their
 * activators as its own, so the bundles that import them resolve and run as they would against
 * installed copies.
 *
 * @param exportPackage    the jars' Export-Package clauses, for org.osgi.framework.system.packages.extra
 * @param provideCapability the jars' Provide-Capability clauses, for org.osgi.framework.system.capabilities.extra
 * @param activatorClasses the jars' Bundle-Activator classes, started with the system bundle
 * @param symbolicNames    the jars' symbolic names, for the start-up report
 */
record ClassPathBundles(String exportPackage, String provideCapability, List<String> activatorClasses,
                        List<String> symbolicNames) {
    /** The framework's own jar is the system bundle already; its exports are not extra. */
    private static final String FRAMEWORK_FACTORY_SERVICE = "META-INF/services/org.osgi.framework.launch.FrameworkFactory";

    static ClassPathBundles in(List<Path> libraryJars) throws IOException {
        List<String> exports = new ArrayList<>();
        List<String> capabilities = new ArrayList<>();
        List<String> activators = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path jar : libraryJars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                if (file.getManifest() == null || file.getEntry(FRAMEWORK_FACTORY_SERVICE) != null) {
                    continue;
                }
                Attributes main = file.getManifest().getMainAttributes();
                String symbolicName = main.getValue("Bundle-SymbolicName");
                if (symbolicName == null) {
                    continue;   // a plain jar (the launcher itself)
                }
                names.add(symbolicName.split(";")[0].strip());
                addIfPresent(exports, main.getValue("Export-Package"));
                addIfPresent(capabilities, main.getValue("Provide-Capability"));
                addIfPresent(activators, main.getValue("Bundle-Activator"));
            }
        }
        return new ClassPathBundles(String.join(",", exports), String.join(",", capabilities), List.copyOf(activators),
                List.copyOf(names));
    }

    private static void addIfPresent(List<String> to, String value) {
        if (value != null && !value.isBlank()) {
            to.add(value.strip());
        }
    }

    /** Sets the framework properties that make the system bundle export, provide and start these bundles. */
    void addTo(Map<String, Object> frameworkProperties) {
        if (!exportPackage.isEmpty()) frameworkProperties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, exportPackage);
        if (!provideCapability.isEmpty()) frameworkProperties.put(Constants.FRAMEWORK_SYSTEMCAPABILITIES_EXTRA, provideCapability);
        frameworkProperties.put("felix.systembundle.activators", newActivators());
    }

    /** New instances of the activators, for Felix's felix.systembundle.activators. */
    List<BundleActivator> newActivators() {
        List<BundleActivator> instances = new ArrayList<>();
        for (String name : activatorClasses) {
            try {
                instances.add((BundleActivator) Class.forName(name).getDeclaredConstructor().newInstance());
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalStateException("cannot create the activator " + name + " of a lib/ bundle: " + e, e);
            }
        }
        return instances;
    }
}
