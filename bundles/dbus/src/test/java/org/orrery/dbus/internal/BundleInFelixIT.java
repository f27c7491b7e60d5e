package org.orrery.dbus.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged bundle in a real Felix holding only what the distribution holds (SCR, Jackson, the object
 * model and the command layer): it resolves with its embedded dbus-java, finds its transport through
 * ServiceLoader inside the bundle, and serves a gdbus call.
 */
class BundleInFelixIT {
    private static final List<String> BUNDLES = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component-", "org.apache.felix.scr", "jackson-core", "jackson-annotations", "jackson-databind",
            "object-model", "command-layer");

    @Test
    void resolvesStartsAndServesInFelix(@TempDir Path cache) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, cache.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Framework fw = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(config);
        fw.start();
        try (DbusDaemon bus = DbusDaemon.start()) {
            BundleContext ctx = fw.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            for (String prefix : BUNDLES) installed.add(ctx.installBundle(new File(jar(prefix)).toURI().toString()));
            Bundle dbus = ctx.installBundle(new File(System.getProperty("orrery.dbus.bundle")).toURI().toString());
            installed.add(dbus);
            for (Bundle b : installed) b.start();
            assertEquals(Bundle.ACTIVE, dbus.getState());

            // dbus-add through the command layer service, on a tree of the object-model bundle's classes
            Bundle om = installed.get(BUNDLES.indexOf("object-model"));
            Bundle jackson = installed.get(BUNDLES.indexOf("jackson-databind"));
            Object layer = await(ctx, "org.orrery.command.CommandLayer");
            Object registry = await(ctx, "org.orrery.qom.TypeRegistry");
            Class<?> registryType = om.loadClass("org.orrery.qom.TypeRegistry");
            Class<?> safePointType = om.loadClass("org.orrery.qom.SafePoint");
            Object tree = om.loadClass("org.orrery.qom.ObjectTree").getConstructor(registryType, safePointType)
                    .newInstance(registry, safePointType.getMethod("inline").invoke(null));
            Object mapper = jackson.loadClass("com.fasterxml.jackson.databind.ObjectMapper").getConstructor().newInstance();
            Object json = mapper.getClass().getMethod("readTree", String.class).invoke(mapper,
                    "{\"id\": \"f\", \"name\": \"org.orrery.Felix\", \"addr\": \"" + bus.address + "\"}");
            Class<?> valueType = om.loadClass("org.orrery.qom.Value");
            Object value = valueType.getMethod("ofJson", String.class, jackson.loadClass("com.fasterxml.jackson.databind.JsonNode"))
                    .invoke(null, "arguments", json);
            Class<?> sessionType = layer.getClass().getClassLoader().loadClass("org.orrery.command.Session");
            Object session = Proxy.newProxyInstance(sessionType.getClassLoader(), new Class<?>[]{sessionType},
                    (p, m, a) -> m.getName().equals("name") ? "felix-test" : null);
            Method execute = null;
            for (Method m : layer.getClass().getMethods()) if (m.getName().equals("execute")) execute = m;
            assertNotNull(execute);
            execute.invoke(layer, tree, "dbus-add", value, session);

            DbusDaemon.Result r = bus.run(20, "gdbus", "call", "--session", "-d", "org.orrery.Felix", "-o", "/org/orrery/Machine",
                    "-m", "org.orrery.Machine1.QomGet", "/", "type");
            assertEquals("(<'container'>,)", r.out().strip(), r.all());
            dbus.stop(); // takes the front-end, and its name, away
            r = bus.run(20, "gdbus", "call", "--session", "-d", "org.orrery.Felix", "-o", "/org/orrery/Machine",
                    "-m", "org.orrery.Machine1.QomGet", "/", "type");
            assertTrue(r.exit() != 0, r.all());
        } finally {
            fw.stop();
            fw.waitForStop(10_000);
        }
    }

    /** The test's class path holds the same API classes, so services are looked up without the class-space check. */
    private static Object await(BundleContext ctx, String service) throws Exception {
        for (int i = 0; i < 100; i++) {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(service, null);
            if (refs != null && refs.length > 0) return ctx.getService(refs[0]);
            Thread.sleep(50);
        }
        StringBuilder why = new StringBuilder("no " + service + " service; bundles:");
        for (Bundle b : ctx.getBundles()) why.append(' ').append(b.getSymbolicName()).append('=').append(b.getState());
        throw new AssertionError(why.toString());
    }

    private static String jar(String prefix) {
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (name.startsWith(prefix) && name.endsWith(".jar")) return e;
            // reactor modules may be on the class path as target/classes
            if (e.endsWith("/classes") && e.contains("/" + prefix + "/")) throw new AssertionError(prefix + " is on the class path as a directory; build with install");
        }
        throw new AssertionError("no " + prefix + " jar on the class path");
    }
}
