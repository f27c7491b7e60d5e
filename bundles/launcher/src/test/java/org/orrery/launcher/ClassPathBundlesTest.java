package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

class ClassPathBundlesTest {
    @TempDir
    Path temp;

    /** Stands in for a class-path bundle's activator. */
    public static final class RecordingActivator implements BundleActivator {
        @Override public void start(BundleContext context) { }
        @Override public void stop(BundleContext context) { }
    }

    private Path jar(String name, Map<String, String> headers, String extraEntry) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(manifest.getMainAttributes()::putValue);
        Path jar = temp.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            if (extraEntry != null) {
                jarOut.putNextEntry(new JarEntry(extraEntry));
                jarOut.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void theSystemBundleExportsProvidesAndStartsWhatTheLibraryBundlesDeclare() throws IOException {
        Path plain = jar("launcher.jar", Map.of("Main-Class", "x.Main"), null);
        Path framework = jar("framework.jar", Map.of("Bundle-SymbolicName", "the.framework", "Export-Package", "org.osgi.framework"),
                "META-INF/services/org.osgi.framework.launch.FrameworkFactory");
        Path scr = jar("scr.jar", Map.of("Bundle-SymbolicName", "org.apache.felix.scr;singleton:=true",
                "Export-Package", "org.apache.felix.scr.info;version=\"1.0.0\"",
                "Provide-Capability", "osgi.extender;osgi.extender=\"osgi.component\";version:Version=\"1.5\"",
                "Bundle-Activator", RecordingActivator.class.getName()), null);
        Path json = jar("json.jar", Map.of("Bundle-SymbolicName", "json", "Export-Package", "com.example.json;version=\"2.18.2\""), null);

        ClassPathBundles libraries = ClassPathBundles.in(List.of(plain, framework, scr, json));

        assertEquals(List.of("org.apache.felix.scr", "json"), libraries.symbolicNames());
        Map<String, Object> properties = new HashMap<>();
        libraries.addTo(properties);
        assertEquals("org.apache.felix.scr.info;version=\"1.0.0\",com.example.json;version=\"2.18.2\"",
                properties.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA));
        assertEquals("osgi.extender;osgi.extender=\"osgi.component\";version:Version=\"1.5\"",
                properties.get(Constants.FRAMEWORK_SYSTEMCAPABILITIES_EXTRA));
        List<?> activators = (List<?>) properties.get("felix.systembundle.activators");
        assertEquals(1, activators.size());
        assertInstanceOf(RecordingActivator.class, activators.getFirst());
    }

    @Test
    void anActivatorThatCannotBeCreatedIsAClearError() throws IOException {
        Path broken = jar("broken.jar", Map.of("Bundle-SymbolicName", "broken", "Bundle-Activator", "no.such.Activator"), null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClassPathBundles.in(List.of(broken)).newActivators());
        assertEquals(true, e.getMessage().contains("no.such.Activator"), e.getMessage());
    }
}
