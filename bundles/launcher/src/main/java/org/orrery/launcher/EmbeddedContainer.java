package org.orrery.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
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
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * One run of the OSGi container: a framework on a bundle cache kept for this distribution (or a
 * throw-away one), the distribution's bundles installed and started, until something stops the
 * framework. ARCHITECTURE.md (Start-up) gives the order and the reasons.
 */
final class EmbeddedContainer {
    /** Started last, so the first command typed or piped in sees every bundle. */
    private static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    /** Started only when -bundles names a folder; otherwise it would watch ./load. */
    private static final String FILE_INSTALL = "org.apache.felix.fileinstall";
    /** FileInstall's scan period: a dropped jar is active well within a second. */
    private static final String FILE_INSTALL_POLL_MILLIS = "200";
    /** Gogo's runtime and commands serve only the console and the orrery:/qmp: functions: started late. */
    private static final Set<String> GOGO_RUNTIME = Set.of("org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command");
    /**
     * A bundle with this manifest header starts only when something needs it (LaterStart): "on-demand" for bundles
     * that may bring types or commands the command line may not need (a type lookup that misses starts them all),
     * "deferred" for front-ends (started alone by the first use of a command they declare).
     */
    static final String START_HEADER = "Orrery-Start";
    /** The property of the marker service that is up while bundles are still starting. */
    static final String STARTUP_PROPERTY = "orrery.startup";
    /** The marker the type registry waits on: registered until the bundles that may bring types have started. */
    static final String TYPES_STARTUP_PROPERTY = "orrery.startup.types";
    /** Bundles start side by side on this many threads (starting one is mostly its components activating). */
    static final int START_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final Distribution distribution;
    private final CommandLine commandLine;
    private final Optional<Path> watchedFolder;
    private final boolean reportStartup;
    private final PrintStream err;
    private final StartupTrace trace;

    EmbeddedContainer(Distribution distribution, CommandLine commandLine, Optional<Path> watchedFolder,
                      boolean reportStartup, PrintStream err) {
        this.distribution = distribution;
        this.commandLine = commandLine;
        this.watchedFolder = watchedFolder;
        this.reportStartup = reportStartup;
        this.err = err;
        this.trace = StartupTrace.fromSystemProperties(err);
    }

    /** Runs the container until the framework stops; returns the process exit status. */
    int runUntilStopped() throws IOException, BundleException, InterruptedException {
        trace.mark("launcher running");
        Thread.ofPlatform().name("orrery-felix-classes").daemon(true).start(EmbeddedContainer::initialiseFelixClasses);
        // Counted down once the cache is released, so a signal's shutdown hook lets the process end only then.
        CountDownLatch cleanedUp = new CountDownLatch(1);
        try (BundleCacheSlot cache = BundleCacheSlot.acquire(distribution.home().resolve("cache"), distribution.allJars())) {
            return runUntilStopped(cache, cleanedUp);
        } finally {
            cleanedUp.countDown();
        }
    }

    private int runUntilStopped(BundleCacheSlot cache, CountDownLatch cleanedUp) throws IOException, BundleException, InterruptedException {
        Map<String, Object> properties = frameworkProperties(cache);
        ClassPathBundles.in(Distribution.jarsIn(distribution.libraries())).addTo(properties);
        Framework framework = newFramework(properties);
        Thread shutdownHook = new Thread(() -> stopOnSignal(framework, cleanedUp), "orrery-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        ExitRequest exitRequest = new ExitRequest(framework);
        Thread.setDefaultUncaughtExceptionHandler(new UncaughtFailures(exitRequest, Runtime.getRuntime()::halt));
        BundleProblemReporter reporter = null;
        try {
            trace.mark("framework created");
            framework.init();
            trace.mark("framework initialised" + (cache.reusable() ? " from the kept bundle cache" : ""));
            BundleContext systemContext = framework.getBundleContext();
            reporter = new BundleProblemReporter(systemContext, err);
            reporter.attach();
            Hashtable<String, Object> exitProperties = new Hashtable<>(Map.of(ExitRequest.SERVICE_PROPERTY, Boolean.TRUE));
            systemContext.registerService(IntConsumer.class, exitRequest, exitProperties);
            // Registered while bundles are still starting: the command layer and the type registry then ask for
            // what they miss (a command, a type, a listing) and wait for it, so the bundles a command line does not
            // need start only when something needs them (LaterStart).
            LaterStart later = new LaterStart(trace);
            later.registerMarkers(systemContext);
            dropLeftovers(systemContext);
            framework.start();
            try {
                StartPlan plan = deployDistribution(systemContext, cache, reporter);
                startAll(plan.beforeCommandLine(), START_THREADS, reporter);
                Bundle systemBundle = reporter.systemBundle();
                BundleProblemReporter problems = reporter;
                later.plan(new LaterStart.Plan(plan.onDemand(), plan.deferred(), plan.console(),
                        batch -> {
                            problems.resolving(batch);
                            systemBundle.adapt(FrameworkWiring.class).resolveBundles(batch);
                        },
                        bundle -> start(bundle, systemBundle, problems)));
                // Tells the command-line bundle that what it builds machines from is started.
                systemContext.registerService(Runnable.class, () -> { }, new Hashtable<>(Map.of("orrery.launch", "complete")));
                trace.mark("launch complete: the command line runs");
                String trainingSocket = System.getProperty("orrery.aot.training");
                // The console needs every bundle, as do plugins dropped into a watched folder, which may build on
                // any of them; the training run should load every class a run may need.
                boolean everythingAfterCommandLine = commandLine.wantsInteractiveShell() || watchedFolder.isPresent()
                        || trainingSocket != null;
                Runnable commandLineDone = () -> {
                    if (reportStartup) printStartupReport(systemContext);
                };
                Runnable afterEverything = () -> {
                    if (trainingSocket != null) {
                        Thread.ofPlatform().name("orrery-aot-training").daemon(true).start(() -> AotTraining.run(Path.of(trainingSocket)));
                    }
                };
                // Its own thread, which may wait for a need until the process ends; this one waits for the stop.
                Thread.ofPlatform().name("orrery-later-start").daemon(true).start(() -> {
                    try {
                        later.serve(systemContext, everythingAfterCommandLine, commandLineDone, afterEverything);
                    } catch (InterruptedException | IllegalStateException stoppedMeanwhile) {
                        // the framework stopped while bundles were still being started
                    }
                });
            } catch (IllegalStateException stoppedMeanwhile) {
                // Something stopped the framework while bundles were still being started.
            }
            framework.waitForStop(0);
            return exitRequest.requestedStatus().orElse(0);
        } finally {
            if (reporter != null) {
                reporter.close();
            }
        }
    }

    /**
     * Runs Felix's static initialisers, which need nothing of ours, while the launcher's thread works out the
     * bundle cache and the class path's exports: its privileged-action helper parses annotations and spins a
     * proxy class, its utilities read its default properties and the JDK's module layout (together about a
     * third of creating the framework). The launcher's thread, reaching them first or meanwhile, waits for
     * them as the JVM makes every class's initialisation wait. Then, while the framework initialises, the
     * one-time set-up the first bundles would otherwise do on the start's critical path ({@link SharedWarmUp}).
     */
    private static void initialiseFelixClasses() {
        ClassLoader loader = EmbeddedContainer.class.getClassLoader();
        for (String name : List.of("org.apache.felix.framework.Felix", "org.apache.felix.framework.util.Util")) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return;   // no Felix on the class path: newFramework says so
            }
        }
        SharedWarmUp.run(loader);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Framework newFramework(Map<String, Object> properties) {
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path (lib/ should hold the Felix jar)"));
        // Felix takes objects as well as strings: the system bundle's activators are a list of instances.
        return factory.newFramework((Map) properties);
    }

    private Map<String, Object> frameworkProperties(BundleCacheSlot cache) {
        Map<String, Object> properties = new HashMap<>();
        // Felix's logger is an object, not a string: the map holds it as the framework expects
        PlatformLog.configureFramework(properties, PlatformLog.threshold(commandLine));
        properties.put(Constants.FRAMEWORK_STORAGE, cache.folder().toString());
        if (!cache.reusable()) {
            properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        }
        if (cache.kept()) {
            // Declarative Services keeps the component descriptions it parsed in the kept cache (valid as long
            // as the cache is: it belongs to one set of jars).
            properties.put("ds.cache.metadata", "true");
        }
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
     * The bundles by when they start: what the command line builds machines from (with FileInstall when -bundles
     * watches a folder) before it runs; the bundles that may bring types it did not need
     * ({@code Orrery-Start: on-demand}), the front-ends ({@code Orrery-Start: deferred}, and the Gogo runtime) and
     * the Gogo console when something needs them (LaterStart).
     */
    record StartPlan(List<Bundle> beforeCommandLine, List<Bundle> onDemand, List<Bundle> deferred, List<Bundle> console) { }

    /**
     * Installs every jar in system/ and bundles/ and resolves the first to start all at once, before any starts:
     * a bundle starting must never resolve lazily while a component of another bundle resolves on its
     * own thread (bundles start on several threads). The rest are resolved as they start (LaterStart).
     */
    private StartPlan deployDistribution(BundleContext context, BundleCacheSlot cache, BundleProblemReporter reporter) throws IOException {
        Map<String, Bundle> cached = new HashMap<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getBundleId() != 0) cached.put(bundle.getLocation(), bundle);
        }
        List<Bundle> all = new ArrayList<>(install(context, Distribution.jarsIn(distribution.systemBundles()), cached));
        all.addAll(install(context, Distribution.jarsIn(distribution.orreryBundles()), cached));
        trace.mark("bundles installed");
        cache.markComplete();
        List<Bundle> first = new ArrayList<>();
        List<Bundle> onDemand = new ArrayList<>();
        List<Bundle> deferred = new ArrayList<>();
        List<Bundle> console = new ArrayList<>();
        for (Bundle bundle : all) {
            String start = bundle.getHeaders("").get(START_HEADER);
            if (isNamed(bundle, GOGO_SHELL)) {
                console.add(bundle);
            } else if (isNamed(bundle, FILE_INSTALL)) {
                if (watchedFolder.isPresent()) first.add(bundle);
            } else if ("on-demand".equals(start)) {
                onDemand.add(bundle);
            } else if (GOGO_RUNTIME.contains(bundle.getSymbolicName()) || "deferred".equals(start)) {
                deferred.add(bundle);
            } else {
                first.add(bundle);
            }
        }
        // The bundles that start later are resolved when they start (LaterStart): none of the first needs them.
        // FileInstall without a folder to watch never starts.
        List<Bundle> later = new ArrayList<>(all);
        later.removeAll(first);
        reporter.resolveLater(later);
        context.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(first);
        trace.mark("bundles resolved");
        return new StartPlan(first, onDemand, deferred, console);
    }

    private void startAll(List<Bundle> bundles, int threads, BundleProblemReporter reporter) throws InterruptedException {
        Bundle framework = reporter.systemBundle();
        ParallelStart.start(bundles, threads, bundle -> start(bundle, framework, reporter));
    }

    private void start(Bundle bundle, Bundle framework, BundleProblemReporter reporter) {
        // The command line may end the process (bad input, -machine help) while front-ends are still starting.
        if (isFragment(bundle) || framework.getState() != Bundle.ACTIVE) {
            return;
        }
        long started = System.nanoTime();
        try {
            // transient: a kept bundle cache must not start bundles by itself in the next run's framework start
            bundle.start(Bundle.START_TRANSIENT);
        } catch (BundleException e) {
            if (framework.getState() == Bundle.ACTIVE) reporter.reportStartFailure(bundle, e);
        }
        // names the bundles that are slow to start (start-up tuning)
        trace.step("starting " + bundle.getSymbolicName(), started, 10);
    }

    /** Installs {@code jars}, taking those the kept cache holds already (and removing them from {@code cached}). */
    /**
     * What the kept cache holds beyond the distribution (bundles hot-deployed in an earlier run) goes before
     * the framework starts, which would otherwise start them again: this run's FileInstall installs what its
     * folder holds now.
     */
    private void dropLeftovers(BundleContext context) throws IOException {
        java.util.Set<String> distributed = new java.util.HashSet<>();
        for (Path jar : Distribution.jarsIn(distribution.systemBundles())) distributed.add(location(jar));
        for (Path jar : Distribution.jarsIn(distribution.orreryBundles())) distributed.add(location(jar));
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getBundleId() == 0 || distributed.contains(bundle.getLocation())) continue;
            try {
                bundle.uninstall();
            } catch (BundleException e) {
                err.println("orrery: cannot remove " + bundle.getLocation() + " from the bundle cache: " + BundleProblemReporter.oneLine(e));
            }
        }
    }

    /** Reference: Felix reads the jar where it is instead of copying it into the cache. */
    private static String location(Path jar) { return "reference:" + jar.toUri(); }

    private List<Bundle> install(BundleContext context, List<Path> jars, Map<String, Bundle> cached) {
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            String location = location(jar);
            Bundle known = cached.remove(location);
            if (known != null) {
                installed.add(known);
                continue;
            }
            try {
                installed.add(context.installBundle(location));
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
        long elapsed = Duration.between(StartupTrace.launchInstant(), Instant.now()).toMillis();
        Bundle[] bundles = context.getBundles();
        long active = Stream.of(bundles).filter(b -> b.getState() == Bundle.ACTIVE).count();
        ComponentCensus components = ComponentCensus.take(context);
        err.printf("orrery: startup: ready_ms=%d bundles_active=%d/%d components=%d satisfied=%d unsatisfied=%d scr=%s%n",
                elapsed, active, bundles.length, components.descriptions(), components.satisfied(),
                components.unsatisfied(), components.runtimePresent() ? "present" : "absent");
    }

    /** On SIGINT/SIGTERM: stop bundles cleanly and let the main thread delete the cache. */
    private static void stopOnSignal(Framework framework, CountDownLatch cleanedUp) {
        try {
            framework.stop();
            framework.waitForStop(SHUTDOWN_GRACE.toMillis());
            cleanedUp.await(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (BundleException | InterruptedException | IllegalStateException e) {
            // Exiting anyway; a throw-away bundle cache is all that can be left behind.
        }
    }
}
