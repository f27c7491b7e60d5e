package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.orrery.command.CommandModule;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Boots the distribution's exact bundle set (read from its system/ and bundles/ folders) in
 * Felix and checks that every bundle is active and every DS component satisfied. A bundle
 * that cannot resolve fails this test with the framework's reason.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DistributionBundlesIT {

    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime componentRuntime;

    @Configuration
    public Option[] configuration() throws IOException {
        return PaxDistribution.options();
    }


    private static Set<String> expected(String property) {
        String value = System.getProperty(property);
        assertNotNull("probe did not receive " + property, value);
        return Set.of(value.split(","));
    }

    @Test
    public void everyDistributionBundleIsInstalled() {
        Set<String> installed = Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName).collect(Collectors.toSet());
        Set<String> orrery = expected("orrery.itest.orrery.bundles");
        assertFalse("the distribution has no Orrery bundle", orrery.isEmpty());
        for (String name : union(orrery, expected("orrery.itest.system.bundles"))) {
            assertTrue(name + " is not installed; installed: " + installed, installed.contains(name));
        }
    }

    @Test
    public void everyBundleIsActive() {
        List<String> problems = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            if (bundle.getState() != Bundle.ACTIVE) {
                problems.add(bundle.getSymbolicName() + " is " + stateName(bundle.getState()) + ": " + whyNotActive(bundle));
            }
        }
        if (!problems.isEmpty()) {
            fail("bundles not active:\n  " + String.join("\n  ", problems));
        }
    }

    @Test
    public void everyComponentIsSatisfied() {
        // Stand in for the launcher, which announces that every distribution bundle is started (the
        // command-line bundle waits for that before it turns options into commands).
        context.registerService(Runnable.class, () -> { },
                new java.util.Hashtable<>(java.util.Map.of("orrery.launch", "complete")));
        awaitComponentsSettled();
        Map<String, Bundle> bySymbolicName = Arrays.stream(context.getBundles())
                .collect(Collectors.toMap(Bundle::getSymbolicName, Function.identity(), (a, b) -> a));
        // Not vacuous: SCR is there (injected above) and every Orrery bundle is among those checked.
        List<Bundle> checked = new ArrayList<>();
        for (String name : expected("orrery.itest.orrery.bundles")) {
            Bundle bundle = bySymbolicName.get(name);
            assertNotNull(name + " is not installed", bundle);
            checked.add(bundle);
        }
        assertEquals(expected("orrery.itest.orrery.bundles").size(), checked.size());

        List<String> problems = new ArrayList<>();
        for (ComponentDescriptionDTO description : componentRuntime.getComponentDescriptionDTOs()) {
            String name = description.bundle.symbolicName + "/" + description.name;
            if (!componentRuntime.isComponentEnabled(description)) {
                if (description.defaultEnabled) {
                    problems.add(name + " is disabled");
                }
                continue;
            }
            var configurations = componentRuntime.getComponentConfigurationDTOs(description);
            // A component that requires configuration legitimately has none until it is configured.
            if (configurations.isEmpty() && !"require".equals(description.configurationPolicy)) {
                problems.add(name + " has no configuration");
            }
            for (ComponentConfigurationDTO configuration : configurations) {
                if (configuration.state != ComponentConfigurationDTO.SATISFIED && configuration.state != ComponentConfigurationDTO.ACTIVE) {
                    problems.add(name + " is " + componentState(configuration) + describeUnsatisfied(configuration));
                }
            }
        }
        if (!problems.isEmpty()) {
            fail("components not satisfied:\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * A bundle the launcher starts later (Orrery-Start) is started alone when one of its commands is first used, by
     * the commands it declares (capability org.orrery.command): the declaration must name exactly the commands its
     * command modules bring, or a first use would start everything instead (and a name it wrongly claims would
     * start it for nothing).
     */
    @Test
    public void everyBundleStartedLaterDeclaresExactlyTheCommandsItBrings() {
        List<String> problems = new ArrayList<>();
        int bringing = 0;
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getHeaders("").get("Orrery-Start") == null) continue;
            Set<String> brought = new java.util.TreeSet<>();
            ServiceReference<?>[] registered = bundle.getRegisteredServices();
            for (ServiceReference<?> ref : registered == null ? new ServiceReference<?>[0] : registered) {
                if (context.getService(ref) instanceof CommandModule module) brought.addAll(module.handlers().keySet());
                context.ungetService(ref);
            }
            Set<String> declared = new java.util.TreeSet<>();
            for (BundleCapability capability : bundle.adapt(BundleRevision.class).getDeclaredCapabilities("org.orrery.command")) {
                if (capability.getAttributes().get("names") instanceof List<?> names) names.forEach(n -> declared.add(String.valueOf(n)));
            }
            if (!brought.isEmpty()) bringing++;
            if (!brought.equals(declared)) problems.add(bundle.getSymbolicName() + " brings " + brought + " but declares " + declared);
        }
        assertTrue("the bundles started later that bring commands (D-Bus, gdb, HMP, display, migration, block, net): " + bringing,
                bringing >= 7);
        if (!problems.isEmpty()) {
            fail("declared commands differ:\n  " + String.join("\n  ", problems));
        }
    }

    /** Components react to the marker asynchronously: wait (bounded) until none is unsatisfied. */
    private void awaitComponentsSettled() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean pending = false;
            for (ComponentDescriptionDTO d : componentRuntime.getComponentDescriptionDTOs())
                for (ComponentConfigurationDTO c : componentRuntime.getComponentConfigurationDTOs(d))
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) pending = true;
            if (!pending) return;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        return Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
    }

    /** The framework's own reason: starting an unresolvable bundle throws it. */
    private static String whyNotActive(Bundle bundle) {
        try {
            bundle.start();
            return "started on a retry (it was not active at first)";
        } catch (BundleException e) {
            return e.getMessage();
        }
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED (unresolved)";
            case Bundle.RESOLVED -> "RESOLVED (not started)";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "in state " + state;
        };
    }

    private static String componentState(ComponentConfigurationDTO configuration) {
        return switch (configuration.state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "waiting for configuration";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "missing references";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "failed to activate: " + configuration.failure;
            default -> "in state " + configuration.state;
        };
    }

    private static String describeUnsatisfied(ComponentConfigurationDTO configuration) {
        if (configuration.unsatisfiedReferences == null || configuration.unsatisfiedReferences.length == 0) {
            return "";
        }
        return Arrays.stream(configuration.unsatisfiedReferences).map(r -> r.name + " (" + r.target + ")")
                .collect(Collectors.joining(", ", " ", ""));
    }
}
