package org.orrery.launcher;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.namespace.ExecutionEnvironmentNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;

/**
 * Turns bundle failures into one line each on stderr, naming the bundle and what it lacks,
 * and leaves the container running. It covers bundles the launcher starts itself and bundles
 * FileInstall installs from a watched folder: those are checked shortly after any install,
 * update or refresh, because FileInstall swallows the start failure.
 */
final class BundleProblemReporter implements BundleListener, FrameworkListener, AutoCloseable {
    /** Long enough for FileInstall to finish a scan, short enough to report within a second. */
    private static final long SETTLE_MILLIS = 250;

    private final PrintStream err;
    private final BundleContext systemContext;
    private final FrameworkWiring wiring;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    /** Bundles the launcher resolves only when it starts them (LaterStart): unresolved is their normal state. */
    private final Set<Bundle> resolvedLater = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "orrery-bundle-checker");
        thread.setDaemon(true);
        return thread;
    });
    private ScheduledFuture<?> pendingCheck;

    BundleProblemReporter(BundleContext systemContext, PrintStream err) {
        this.systemContext = systemContext;
        this.wiring = systemContext.getBundle().adapt(FrameworkWiring.class);
        this.err = err;
    }

    /** The framework itself (the system bundle), whose state says whether it is stopping. */
    Bundle systemBundle() {
        return systemContext.getBundle();
    }

    void attach() {
        systemContext.addBundleListener(this);
        systemContext.addFrameworkListener(this);
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        switch (event.getType()) {
            case BundleEvent.INSTALLED, BundleEvent.UPDATED, BundleEvent.UNRESOLVED -> scheduleCheck();
            default -> { }
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        switch (event.getType()) {
            case FrameworkEvent.ERROR -> {
                if (event.getBundle() != null && event.getThrowable() != null) {
                    reportStartFailure(event.getBundle(), event.getThrowable());
                }
            }
            case FrameworkEvent.PACKAGES_REFRESHED -> scheduleCheck();
            default -> { }
        }
    }

    /** Reports why {@code bundle} could not be started. */
    void reportStartFailure(Bundle bundle, Throwable failure) {
        if (failure instanceof BundleException e && e.getType() == BundleException.RESOLVE_ERROR) {
            report(bundle, "cannot be resolved: " + unresolvedReason(bundle).orElse(oneLine(failure)));
        } else {
            report(bundle, "failed to start: " + oneLine(failure));
        }
    }

    private synchronized void scheduleCheck() {
        if (pendingCheck != null) {
            pendingCheck.cancel(false);
        }
        pendingCheck = checker.schedule(this::checkInstalledBundles, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Leaves {@code bundles} to be resolved when they start: the check does not resolve them meanwhile. */
    void resolveLater(Collection<Bundle> bundles) {
        resolvedLater.addAll(bundles);
    }

    /** The launcher is resolving {@code bundles} now: from here on an unresolved one is a problem to report. */
    void resolving(Collection<Bundle> bundles) {
        resolvedLater.removeAll(bundles);
    }

    /** Finds bundles left unresolved (not fragments, which legitimately wait for a host). */
    private void checkInstalledBundles() {
        try {
            for (Bundle bundle : systemContext.getBundles()) {
                if (bundle.getState() != Bundle.INSTALLED || isFragment(bundle) || resolvedLater.contains(bundle)) {
                    continue;
                }
                if (!wiring.resolveBundles(List.of(bundle))) {
                    report(bundle, "cannot be resolved: " + unresolvedReason(bundle).orElseGet(() -> startFailureMessage(bundle)));
                }
            }
        } catch (IllegalStateException stopping) {
            // The framework is going away; nothing left to report.
        }
    }

    /**
     * The mandatory requirements nothing installed can satisfy; empty when each has a
     * provider, i.e. the bundle fails because a provider itself cannot resolve.
     */
    private Optional<String> unresolvedReason(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (Requirement requirement : revision.getRequirements(null)) {
            boolean optional = Namespace.RESOLUTION_OPTIONAL.equals(requirement.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
            if (!optional && wiring.findProviders(requirement).isEmpty()) {
                missing.add(describe(requirement));
            }
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of("missing " + String.join(", ", missing));
    }

    private static String describe(Requirement requirement) {
        String filter = requirement.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
        if (ExecutionEnvironmentNamespace.EXECUTION_ENVIRONMENT_NAMESPACE.equals(requirement.getNamespace())) {
            return "execution environment " + filter;
        }
        return requirement.getNamespace() + " " + (filter == null ? "" : filter);
    }

    /** The framework's own explanation, when no requirement lacks a provider outright. */
    private static String startFailureMessage(Bundle bundle) {
        try {
            // Transient: this must not change whether the bundle is marked to start.
            bundle.start(Bundle.START_TRANSIENT);
            return "resolved on a retry";
        } catch (BundleException | IllegalStateException e) {
            return oneLine(e);
        }
    }

    private void report(Bundle bundle, String problem) {
        // Once per bundle and problem: FileInstall retries failed bundles on every scan.
        String key = bundle.getBundleId() + ":" + problem;
        if (reported.add(key)) {
            err.println("orrery: bundle " + bundle.getSymbolicName() + " " + bundle.getVersion()
                    + " (" + bundle.getLocation() + ") " + problem);
        }
    }

    private static boolean isFragment(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        return revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** A throwable and its causes on one line. */
    static String oneLine(Throwable failure) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = failure; t != null && parts.size() < 4; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
            parts.add(message.lines().map(String::strip).collect(Collectors.joining(" ")));
        }
        return String.join("; caused by: ", parts);
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
