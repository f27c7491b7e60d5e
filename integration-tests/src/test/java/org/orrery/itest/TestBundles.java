package org.orrery.itest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Tiny bundle jars made on the spot: a manifest and nothing else is a valid bundle. */
final class TestBundles {
    private TestBundles() {
    }

    /** Writes a bundle jar; {@code importPackage} may be null. */
    static Path write(Path jar, String symbolicName, String importPackage) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Name", "Test bundle " + symbolicName);
        if (importPackage != null) {
            main.putValue("Import-Package", importPackage);
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // The manifest is the whole bundle.
        }
        return jar;
    }

    /**
     * Drops a bundle into a watched folder the way a user's mv does: written elsewhere, then
     * moved in atomically, so the watcher never sees a half-written jar.
     */
    static Path drop(Path watchedFolder, String symbolicName, String importPackage) throws IOException {
        Path staging = Files.createTempFile("orrery-test-bundle", ".jar");
        write(staging, symbolicName, importPackage);
        return Files.move(staging, watchedFolder.resolve(symbolicName + ".jar"), StandardCopyOption.ATOMIC_MOVE);
    }
}
