package org.orrery.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * One run of the OSGi container: a framework with a bundle cache of its own, the
 * distribution's bundles installed and started, until something stops the framework.
 */
final class EmbeddedContainer {
    /** Started last, so the first command typed or piped in sees every bundle. */
    private static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    /** Started only when -bundles names a folder; otherwise it would watch ./load. */
    private static final String FILE_INSTALL = "org.apache.felix.fileinstall";
    /** FileInstall's scan period: a dropped jar is active well within a second. */
    private static final String FILE_INSTALL_POLL_MILLIS = "200";
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final Distribution distribution;
    private final CommandLine commandLine;
    private final Optional<Path> watchedFolder;
    private final boolean reportStartup;
    private final PrintStream err;

    EmbeddedContainer(Distribution distribution, CommandLine commandLine, Optional<Path> watchedFolder,
                      boolean reportStartup, PrintStream err) {
        this.distribution = distribution;
        this.commandLine = commandLine;
        this.watchedFolder = watchedFolder;
        this.reportStartup = reportStartup;
        this.err = err;
    }

    /** Runs the container until the framework stops; returns the process exit status. */
    int runUntilStopped() throws IOException, BundleException, InterruptedException {
        // A cache per process, so any number of Orrery processes can run side by side.
        Path cache = Files.createTempDirectory("orrery-felix-cache-");
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Framework framework = newFramework(frameworkProperties(cache));
        Thread shutdownHook = new Thread(() -> stopOnSignal(framework, cleanedUp), "orrery-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        ExitRequest exitRequest = new ExitRequest(framework);
        Thread.setDefaultUncaughtExceptionHandler(new UncaughtFailures(exitRequest, Runtime.getRuntime()::halt));
        BundleProblemReporter reporter = null;
        try {
            long t0 = System.nanoTime();
            framework.init();
            trace("initialising the framework", t0);
            BundleContext systemContext = framework.getBundleContext();
            reporter = new BundleProblemReporter(systemContext, err);
            reporter.attach();
            Hashtable<String, Object> exitProperties = new Hashtable<>(Map.of(ExitRequest.SERVICE_PROPERTY, Boolean.TRUE));
            systemContext.registerService(IntConsumer.class, exitRequest, exitProperties);
            framework.start();
            try {
                List<Bundle> console = deployDistribution(systemContext, reporter);
                // Tells the command-line bundle every distribution bundle is started, so every type and
                // command is there before options become commands.
                Runnable marker = () -> { };
                systemContext.registerService(Runnable.class, marker, new Hashtable<>(Map.of("orrery.launch", "complete")));
                // The console comes last, once the command line has built the machine, so piped shell
                // commands see it.
                awaitCommandLine(systemContext);
                startAll(console, reporter);
                if (reportStartup) {
                    printStartupReport(systemContext);
                }
            } catch (IllegalStateException stoppedMeanwhile) {
                // Something stopped the framework while bundles were still being started.
            }
            framework.waitForStop(0);
            return exitRequest.requestedStatus().orElse(0);
        } finally {
            if (reporter != null) {
                reporter.close();
            }
            deleteRecursively(cache);
            cleanedUp.countDown();
        }
    }

    private static Framework newFramework(Map<String, String> properties) {
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path (lib/ should hold the Felix jar)"));
        return factory.newFramework(properties);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Map<String, String> frameworkProperties(Path cache) {
        Map<String, String> properties = new HashMap<>();
        // Felix's logger is an object, not a string: the map holds it as the framework expects
        PlatformLog.configureFramework((Map) properties, PlatformLog.threshold(commandLine));
        properties.put(Constants.FRAMEWORK_STORAGE, cache.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // What Orrery bundles read: where the distribution is and the user's command line.
        properties.put("orrery.home", distribution.home().toString());
        properties.put("orrery.args", JsonText.arrayOfStrings(commandLine.arguments()));
        if (!commandLine.wantsInteractiveShell()) {
            // The machine's serial console or monitor owns stdin; Gogo must not read it.
            properties.put("gosh.args", "--nointeractive");
        }
        watchedFolder.ifPresent(folder -> {
            properties.put("felix.fileinstall.dir", folder.toString());
            properties.put("felix.fileinstall.poll", FILE_INSTALL_POLL_MILLIS);
            properties.put("felix.fileinstall.noInitialDelay", "true");
            properties.put("felix.fileinstall.filter", ".*\\.jar");
            // FileInstall would print its own stack traces; BundleProblemReporter prints one line instead.
            properties.put("felix.fileinstall.log.level", "0");
        });
        return properties;
    }

    /**
     * Installs every jar in system/ and bundles/ first, so the resolver sees them all at once,
     * then starts them: third-party runtime, Orrery bundles, FileInstall, and the console last.
     */
    private List<Bundle> deployDistribution(BundleContext context, BundleProblemReporter reporter) throws IOException {
        long t0 = System.nanoTime();
        List<Bundle> systemBundles = install(context, Distribution.jarsIn(distribution.systemBundles()));
        List<Bundle> orreryBundles = install(context, Distribution.jarsIn(distribution.orreryBundles()));
        trace("installing the bundles", t0);
        t0 = System.nanoTime();
        // Resolve everything at once, before any bundle starts: a bundle starting (and holding its own lock)
        // must never have to resolve lazily while a component of another bundle resolves on its thread.
        List<Bundle> all = new ArrayList<>(systemBundles);
        all.addAll(orreryBundles);
        context.getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class).resolveBundles(all);
        trace("resolving them", t0);
        List<Bundle> startOrder = new ArrayList<>();
        systemBundles.stream().filter(b -> !isNamed(b, GOGO_SHELL) && !isNamed(b, FILE_INSTALL)).forEach(startOrder::add);
        startOrder.addAll(orreryBundles);
        if (watchedFolder.isPresent()) {
            systemBundles.stream().filter(b -> isNamed(b, FILE_INSTALL)).forEach(startOrder::add);
        }
        startAll(startOrder, reporter);
        List<Bundle> console = new ArrayList<>();
        systemBundles.stream().filter(b -> isNamed(b, GOGO_SHELL)).forEach(console::add);
        return console;
    }

    private static void trace(String what, long since) {
        long ms = (System.nanoTime() - since) / 1_000_000;
        if (Boolean.getBoolean("orrery.startup.trace")) System.err.println("orrery: " + what + " took " + ms + " ms");
    }

    private static void startAll(List<Bundle> bundles, BundleProblemReporter reporter) {
        for (Bundle bundle : bundles) {
            if (isFragment(bundle)) {
                continue;
            }
            long started = System.nanoTime();
            try {
                bundle.start();
            } catch (BundleException e) {
                reporter.reportStartFailure(bundle, e);
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            // -Dorrery.startup.trace=true names the bundles that are slow to start (start-up tuning)
            if (Boolean.getBoolean("orrery.startup.trace") && ms >= 20)
                System.err.println("orrery: starting " + bundle.getSymbolicName() + " took " + ms + " ms");
        }
    }

    /** Waits (bounded) for the command-line bundle's "done" marker, when that bundle is running. */
    private static void awaitCommandLine(BundleContext context) throws InterruptedException {
        boolean present = false;
        for (Bundle b : context.getBundles())
            if ("org.orrery.command-line".equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) present = true;
        if (!present) return;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (context.getServiceReferences(Runnable.class, "(orrery.commandline=done)").size() > 0) return;
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            Thread.sleep(5);
        }
    }

    private List<Bundle> install(BundleContext context, List<Path> jars) {
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            try {
                // reference: Felix reads the jar where it is instead of copying it into the (per-process) cache
                installed.add(context.installBundle("reference:" + jar.toUri()));
            } catch (BundleException e) {
                err.println("orrery: cannot install " + jar + ": " + BundleProblemReporter.oneLine(e));
            }
        }
        return installed;
    }

    private static boolean isNamed(Bundle bundle, String symbolicName) {
        return symbolicName.equals(bundle.getSymbolicName());
    }

    private static boolean isFragment(Bundle bundle) {
        return bundle.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
    }

    private void printStartupReport(BundleContext context) {
        long elapsed = Duration.between(launchInstant(), Instant.now()).toMillis();
        Bundle[] bundles = context.getBundles();
        long active = Stream.of(bundles).filter(b -> b.getState() == Bundle.ACTIVE).count();
        ComponentCensus components = ComponentCensus.take(context);
        err.printf("orrery: startup: ready_ms=%d bundles_active=%d/%d components=%d satisfied=%d unsatisfied=%d scr=%s%n",
                elapsed, active, bundles.length, components.descriptions(), components.satisfied(),
                components.unsatisfied(), components.runtimePresent() ? "present" : "absent");
    }

    /**
     * When the user launched Orrery: the orrery script passes the time it started, else the
     * process start time (which Linux gives with only coarse precision).
     */
    private static Instant launchInstant() {
        String micros = System.getProperty("orrery.launch.epoch.micros");
        if (micros != null && micros.matches("\\d+")) {
            return Instant.EPOCH.plus(Long.parseLong(micros), java.time.temporal.ChronoUnit.MICROS);
        }
        return ProcessHandle.current().info().startInstant().orElse(Instant.now());
    }

    /** On SIGINT/SIGTERM: stop bundles cleanly and let the main thread delete the cache. */
    private static void stopOnSignal(Framework framework, CountDownLatch cleanedUp) {
        try {
            framework.stop();
            framework.waitForStop(SHUTDOWN_GRACE.toMillis());
            cleanedUp.await(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (BundleException | InterruptedException | IllegalStateException e) {
            // Exiting anyway; the temp cache is all that can be left behind.
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(path);
                } catch (NoSuchFileException | java.nio.file.DirectoryNotEmptyException ignored) {
                    // Raced with another deleter; harmless.
                }
            }
        } catch (IOException e) {
            System.err.println("orrery: could not delete bundle cache " + root + ": " + e.getMessage());
        }
    }
}
