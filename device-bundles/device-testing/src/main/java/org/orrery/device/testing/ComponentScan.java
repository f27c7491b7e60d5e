package org.orrery.device.testing;

import org.orrery.device.support.DeviceTypes;
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
 * Finds the {@link TypeProvider} (and other) components of every bundle on the test class path, and the rows of
 * its {@link DeviceTypes} tables, the way Declarative Services would (the Service-Component header and its XML
 * descriptors), so a test can assemble a board from the real device bundles without knowing their private classes.
 */
public final class ComponentScan {
    private static final Pattern IMPL = Pattern.compile("<implementation\\s+class=\"([^\"]+)\"");
    private static final Pattern PROVIDE = Pattern.compile("<provide\\s+interface=\"([^\"]+)\"");

    private ComponentScan() { }

    /** The types of every bundle on the class path: its {@link TypeProvider} components and the rows of its {@link DeviceTypes} tables. */
    public static TypeProvider[] typeProviders() {
        List<TypeProvider> out = new ArrayList<>();
        for (Object c : components(TypeProvider.class, DeviceTypes.class))
            if (c instanceof DeviceTypes table) out.addAll(List.of(table.providers())); else out.add((TypeProvider) c);
        return out.toArray(TypeProvider[]::new);
    }

    /** The {@link TypeDeriver} components on the class path (types derived from others: virtio-pci's foo-pci). */
    public static TypeDeriver[] typeDerivers() { return components(TypeDeriver.class).toArray(TypeDeriver[]::new); }

    /** An instance of every component on the class path that provides {@code service}. */
    public static <T> List<T> components(Class<T> service) {
        return components(service, null).stream().map(service::cast).toList();
    }

    /**
     * An instance of every component on the class path that provides {@code service} or, when {@code implementing}
     * is given, whose class is one (a component that registers its services itself, as a {@link DeviceTypes} does).
     */
    private static List<Object> components(Class<?> service, Class<?> implementing) {
        List<Object> out = new ArrayList<>();
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
                    if (!m.find()) continue;
                    if (!provides && !isA(m.group(1), implementing, cl)) continue;
                    var ctor = Class.forName(m.group(1), true, cl).getDeclaredConstructor();
                    ctor.setAccessible(true);
                    out.add(ctor.newInstance());
                }
            }
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("scanning components: " + e, e);
        }
        return out;
    }

    /** Whether the class named is a {@code kind}; false for a class that cannot even be loaded here. */
    private static boolean isA(String className, Class<?> kind, ClassLoader cl) {
        if (kind == null) return false;
        try {
            return kind.isAssignableFrom(Class.forName(className, false, cl));
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
