package org.orrery.launcher;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Counts Declarative Services components for the start-up report. The launcher lives on the
 * class path, outside the framework, so it cannot link against the SCR API that a bundle
 * exports; it reads the runtime's DTOs reflectively instead (DTO fields are public by spec).
 *
 * @param descriptions   component descriptions known to SCR
 * @param satisfied      configurations that are satisfied or active
 * @param unsatisfied    configurations waiting for a reference or configuration, or failed
 * @param runtimePresent whether a ServiceComponentRuntime service exists at all
 */
record ComponentCensus(int descriptions, int satisfied, int unsatisfied, boolean runtimePresent) {
    private static final String RUNTIME_SERVICE = "org.osgi.service.component.runtime.ServiceComponentRuntime";
    // ComponentConfigurationDTO.state values: SATISFIED = 2, ACTIVE = 8; the rest are unhappy.
    private static final int SATISFIED = 2;
    private static final int ACTIVE = 8;

    static ComponentCensus take(BundleContext context) {
        ServiceReference<?> reference = context.getServiceReference(RUNTIME_SERVICE);
        if (reference == null) {
            return new ComponentCensus(0, 0, 0, false);
        }
        Object runtime = context.getService(reference);
        try {
            // Call through the public API interface: SCR's implementation class is private to its bundle.
            Class<?> api = apiInterface(runtime.getClass());
            Method descriptionsOf = api.getMethod("getComponentDescriptionDTOs", Bundle[].class);
            Method configurationsOf = Arrays.stream(api.getMethods())
                    .filter(m -> m.getName().equals("getComponentConfigurationDTOs")).findFirst().orElseThrow();
            Collection<?> descriptionDtos = (Collection<?>) descriptionsOf.invoke(runtime, (Object) new Bundle[0]);
            int satisfied = 0;
            int unsatisfied = 0;
            for (Object description : descriptionDtos) {
                for (Object configuration : (Collection<?>) configurationsOf.invoke(runtime, description)) {
                    Field state = configuration.getClass().getField("state");
                    int value = state.getInt(configuration);
                    if (value == SATISFIED || value == ACTIVE) {
                        satisfied++;
                    } else {
                        unsatisfied++;
                    }
                }
            }
            return new ComponentCensus(descriptionDtos.size(), satisfied, unsatisfied, true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return new ComponentCensus(0, 0, 0, true);
        } finally {
            context.ungetService(reference);
        }
    }

    private static Class<?> apiInterface(Class<?> implementation) {
        for (Class<?> type = implementation; type != null; type = type.getSuperclass()) {
            for (Class<?> candidate : type.getInterfaces()) {
                if (candidate.getName().equals(RUNTIME_SERVICE)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException(implementation + " does not implement " + RUNTIME_SERVICE);
    }
}
