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
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** Pax Exam options shared by the tests that boot the distribution's bundle set. */
final class PaxDistribution {
    private PaxDistribution() { }

    /** The distribution's exact bundle set, started as the launcher starts it. */
    static Option[] options() throws IOException {
        List<Option> options = new ArrayList<>();
        options.add(cleanCaches());
        options.add(junitBundles());
        // As the launcher does when a machine owns the terminal: Gogo must not read stdin here.
        options.add(frameworkProperty("gosh.args").value("--nointeractive"));
        options.add(frameworkProperty("orrery.args").value("[]"));
        options.add(frameworkProperty("orrery.home").value(DistributionLayout.home().toString()));
        // FileInstall would otherwise watch ./load; give it an empty folder of its own.
        options.add(frameworkProperty("felix.fileinstall.dir").value(Files.createTempDirectory("orrery-itest-watch").toString()));
        // Tell the probe what to expect, since it cannot see the build's file system layout.
        options.add(systemProperty("orrery.itest.orrery.bundles").value(names(DistributionLayout.orreryBundles())));
        options.add(systemProperty("orrery.itest.system.bundles").value(names(DistributionLayout.systemBundles())));
        Stream.concat(DistributionLayout.systemBundles().stream(), DistributionLayout.orreryBundles().stream())
                .map(jar -> bundle(jar.jar().toUri().toString()).start(!jar.fragment()))
                .forEach(options::add);
        return options.toArray(Option[]::new);
    }

    private static String names(List<DistributionLayout.BundleJar> jars) {
        return jars.stream().map(DistributionLayout.BundleJar::symbolicName).collect(Collectors.joining(","));
    }
}
