package org.orrery.launcher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

/**
 * The bundles a command line may not need ({@code Orrery-Start: on-demand} and {@code deferred}, the Gogo runtime and
 * console), started when something needs them rather than in every run: the machine's harts and the compilers have
 * the host's cores to themselves. Three kinds of need, each announced through the markers the object model's
 * {@code ContainerStart} waits on:
 * <ul>
 * <li>a command that is not installed: the commands marker is a {@code Predicate<String>} that starts, on the
 *     asker's thread, the one bundle that declares the command (capability {@value #COMMAND_NAMESPACE}) and
 *     nothing else (the human monitor that {@code -nographic} puts on stdio, {@code -gdb}, {@code -drive}), unless
 *     the bundle presents every command ({@value #PRESENTS_EVERY_COMMAND}: D-Bus), which starts with everything;</li>
 * <li>a type that is not known, or a listing of types: the types marker starts the on-demand bundles;</li>
 * <li>anything else (a listing of commands, a command nobody declares): every bundle, then the Gogo console.</li>
 * </ul>
 * A command line that wants the Gogo console, one that watches a folder of plugins (which may build on any of
 * them) and the AOT training run get every bundle once the command line is done.
 */
final class LaterStart {
    /** The capability a later bundle declares for the commands its schema brings (attribute {@value #COMMAND_NAMES}). */
    static final String COMMAND_NAMESPACE = "org.orrery.command";
    static final String COMMAND_NAMES = "names";
    /**
     * Set on the capability of a front-end that presents every command (D-Bus exports a method for each): its
     * commands, when first used, ask for everything, so it starts with the whole command set present.
     */
    static final String PRESENTS_EVERY_COMMAND = "presents-every-command";

    private enum Want { TYPES, EVERYTHING }

    private final StartupTrace trace;
    private final BlockingQueue<Want> wants = new LinkedBlockingQueue<>();
    private volatile Plan plan;
    /** Whether the on-demand bundles were started for a type lookup (only the serving thread reads or sets it). */
    private boolean typesStarted;
    private Map<String, Bundle> commandOwners;
    private ServiceRegistration<Runnable> commandsMarker;
    private ServiceRegistration<Runnable> typesMarker;

    /**
     * What starts later, how bundles are resolved (before they start, a batch at once: a bundle starting must never
     * resolve lazily while another starts beside it) and how one bundle is started (on the calling thread).
     */
    record Plan(List<Bundle> onDemand, List<Bundle> deferred, List<Bundle> console, Consumer<List<Bundle>> resolve,
                Consumer<Bundle> start) {
        void startAll(List<Bundle> bundles, int threads) throws InterruptedException {
            resolve.accept(bundles);
            ParallelStart.start(bundles, threads, start);
        }
    }

    LaterStart(StartupTrace trace) {
        this.trace = trace;
    }

    /**
     * Registers the markers; before the framework starts, so the command layer and the type registry find them
     * when they activate. The property names are the ones {@code EmbeddedContainer} documents.
     */
    void registerMarkers(BundleContext systemContext) {
        commandsMarker = systemContext.registerService(Runnable.class, new CommandsMarker(),
                new Hashtable<>(Map.of(EmbeddedContainer.STARTUP_PROPERTY, "pending")));
        typesMarker = systemContext.registerService(Runnable.class, () -> wants.add(Want.TYPES),
                new Hashtable<>(Map.of(EmbeddedContainer.TYPES_STARTUP_PROPERTY, "pending")));
    }

    void plan(Plan plan) {
        this.plan = plan;
    }

    /**
     * Serves the needs until every later bundle has started (on the calling thread, which may wait for good): until
     * the command line is done it also watches for that, then starts everything at once when
     * {@code everythingAfterCommandLine}, and otherwise only what is asked for. {@code commandLineDone} runs once the
     * command line is done (or the rest was asked for before), {@code afterEverything} once every bundle has started.
     */
    void serve(BundleContext context, boolean everythingAfterCommandLine, Runnable commandLineDone, Runnable afterEverything)
            throws InterruptedException {
        Bundle commandLine = activeBundle(context, "org.orrery.command-line");
        Bundle framework = context.getBundle(0);
        long deadline = System.nanoTime() + 120_000_000_000L;
        // The command line may end the process (-d help, bad input): the framework then stops and its marker never
        // comes, so stop watching for it as soon as either is no longer running.
        while (commandLine != null && System.nanoTime() < deadline && framework.getState() == Bundle.ACTIVE
                && commandLine.getState() == Bundle.ACTIVE && !commandLineDone(context)) {
            Want want = wants.poll(5, TimeUnit.MILLISECONDS);
            if (want != null && startedEverythingFor(want, afterEverything)) {
                commandLineDone.run();
                return;
            }
        }
        trace.mark("the command line is done");
        commandLineDone.run();
        if (everythingAfterCommandLine) {
            startEverything(1, afterEverything);
            return;
        }
        while (framework.getState() == Bundle.ACTIVE) {
            if (startedEverythingFor(wants.take(), afterEverything)) return;
        }
    }

    /** Starts what {@code want} asks for, on every start thread since someone waits; true once everything has. */
    private boolean startedEverythingFor(Want want, Runnable afterEverything) throws InterruptedException {
        if (want == Want.EVERYTHING) {
            trace.mark("the rest of the start was asked for");
            startEverything(EmbeddedContainer.START_THREADS, afterEverything);
            return true;
        }
        if (!typesStarted) {
            startTypeBundles(EmbeddedContainer.START_THREADS);
            typesStarted = true;
        }
        return false;
    }

    private void startTypeBundles(int threads) throws InterruptedException {
        plan.startAll(plan.onDemand(), threads);
        unregisterQuietly(typesMarker);
        trace.mark("the bundles that bring types started");
    }

    /**
     * Starts the bundles that may bring types first (in that order they are ready first), the front-ends beside and
     * after them; the types marker goes once the former are started, the commands marker once all are.
     */
    private void startEverything(int threads, Runnable afterEverything) throws InterruptedException {
        Plan p = plan;
        Set<Bundle> typeBundles = new HashSet<>(p.onDemand());
        AtomicInteger typeBundlesLeft = new AtomicInteger(typeBundles.size());
        if (typeBundles.isEmpty()) unregisterQuietly(typesMarker);
        List<Bundle> rest = new ArrayList<>(p.onDemand());
        rest.addAll(p.deferred());
        List<Bundle> everything = new ArrayList<>(rest);
        everything.addAll(p.console());
        p.resolve().accept(everything);
        ParallelStart.start(rest, threads, bundle -> {
            try {
                p.start().accept(bundle);
            } finally {
                if (typeBundles.contains(bundle) && typeBundlesLeft.decrementAndGet() == 0) unregisterQuietly(typesMarker);
            }
        });
        unregisterQuietly(commandsMarker);
        trace.mark("every bundle started");
        p.startAll(p.console(), 1);
        afterEverything.run();
    }

    /** The commands marker: run() asks for everything, test(command) starts the bundle that declares it. */
    private final class CommandsMarker implements Runnable, Predicate<String> {
        @Override public void run() { wants.add(Want.EVERYTHING); }

        @Override public boolean test(String command) {
            Plan p = plan;
            if (p == null) return false;
            Bundle owner = ownerOf(command, p);
            if (owner == null) return false;
            if (owner.getState() != Bundle.ACTIVE) {
                long started = System.nanoTime();
                p.resolve().accept(List.of(owner));
                p.start().accept(owner);
                trace.step("started " + owner.getSymbolicName() + " for " + command, started, 0);
            }
            return true;
        }
    }

    private synchronized Bundle ownerOf(String command, Plan p) {
        if (commandOwners == null) {
            commandOwners = new HashMap<>();
            List<Bundle> later = new ArrayList<>(p.onDemand());
            later.addAll(p.deferred());
            for (Bundle bundle : later) {
                BundleRevision revision = bundle.adapt(BundleRevision.class);
                if (revision == null) continue;
                for (BundleCapability capability : revision.getDeclaredCapabilities(COMMAND_NAMESPACE)) {
                    // A front-end that presents every command (D-Bus: a method each) starts with everything.
                    if ("true".equals(String.valueOf(capability.getAttributes().get(PRESENTS_EVERY_COMMAND)))) continue;
                    if (capability.getAttributes().get(COMMAND_NAMES) instanceof List<?> names) {
                        for (Object name : names) commandOwners.putIfAbsent(String.valueOf(name), bundle);
                    }
                }
            }
        }
        return commandOwners.get(command);
    }

    private static boolean commandLineDone(BundleContext context) {
        try {
            return !context.getServiceReferences(Runnable.class, "(orrery.commandline=done)").isEmpty();
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Bundle activeBundle(BundleContext context, String symbolicName) {
        for (Bundle b : context.getBundles())
            if (symbolicName.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) return b;
        return null;
    }

    private static void unregisterQuietly(ServiceRegistration<?> registration) {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // unregistered before, or the framework is stopping
        }
    }
}
