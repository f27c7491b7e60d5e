package org.orrery.device.testing;

import org.orrery.qom.TypeDeriver;
import org.orrery.qom.TypeProvider;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the {@link TypeProvider} (and other) components of every bundle on the test class path the way Declarative
 * Services would (the Service-Component header and its XML descriptors), so a test can assemble a board
 * from the real device bundles without knowing their private classes.
 */
public final class ComponentScan {
    private static final Pattern IMPL = Pattern.compile("<implementation\\s+class=\"([^\"]+)\"");
    private static final Pattern PROVIDE = Pattern.compile("<provide\\s+interface=\"([^\"]+)\"");

    private ComponentScan() { }

    public static TypeProvider[] typeProviders() { return components(TypeProvider.class).toArray(TypeProvider[]::new); }

    /** The {@link TypeDeriver} components on the class path (types derived from others: virtio-pci's foo-pci). */
    public static TypeDeriver[] typeDerivers() { return components(TypeDeriver.class).toArray(TypeDeriver[]::new); }

    /** An instance of every component on the class path that provides {@code service}. */
    public static <T> List<T> components(Class<T> service) {
        List<T> out = new ArrayList<>();
        ClassLoader cl = ComponentScan.class.getClassLoader();
        try {
            Enumeration<URL> manifests = cl.getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                URL u = manifests.nextElement();
                String header;
                try (InputStream in = u.openStream()) { header = new Manifest(in).getMainAttributes().getValue("Service-Component"); }
                if (header == null) continue;
                String base = u.toString().substring(0, u.toString().length() - "META-INF/MANIFEST.MF".length());
                for (String xml : header.split(",")) {
                    String text;
                    try (InputStream in = new URL(base + xml.trim()).openStream()) { text = new String(in.readAllBytes(), StandardCharsets.UTF_8); }
                    Matcher p = PROVIDE.matcher(text);
                    boolean provides = false;
                    while (p.find()) if (p.group(1).equals(service.getName())) provides = true;
                    Matcher m = IMPL.matcher(text);
                    if (!provides || !m.find()) continue;
                    var ctor = Class.forName(m.group(1), true, cl).getDeclaredConstructor();
                    ctor.setAccessible(true);
                    out.add(service.cast(ctor.newInstance()));
                }
            }
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("scanning components: " + e, e);
        }
        return out;
    }
}
