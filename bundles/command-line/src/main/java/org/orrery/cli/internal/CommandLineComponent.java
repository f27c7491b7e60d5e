package org.orrery.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.orrery.command.CommandLayer;
import org.orrery.machine.MachineManager;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs the user's command line (framework property {@code orrery.args}) once the launcher has started
 * every bundle of the distribution (it then registers a Runnable with {@code orrery.launch=complete}),
 * so every type and command the distribution brings is there when options are turned into commands.
 */
@Component(immediate = true)
public final class CommandLineComponent {
    private final MachineManager machines;
    private final CommandLayer commands;
    private final TypeRegistry types;
    private final String args;
    private final BundleContext context;
    private Thread worker;
    private ServiceRegistration<Runnable> configuring;

    /**
     * The launcher's exit-status service (absent in a container without the launcher). A constructor argument:
     * the worker started below may finish before SCR would inject a field, and a fast {@code -d help} did.
     */
    private final IntConsumer exit;

    @Activate
    public CommandLineComponent(BundleContext context, @Reference MachineManager machines, @Reference CommandLayer commands,
                                @Reference TypeRegistry types,
                                @Reference(target = "(orrery.launch=complete)") Runnable launchComplete,
                                @Reference(cardinality = ReferenceCardinality.OPTIONAL, target = "(orrery.exit=true)") IntConsumer exit) {
        this.exit = exit;
        this.machines = machines;
        this.commands = commands;
        this.types = types;
        this.args = context.getProperty("orrery.args");
        this.context = context;
        if (args == null) { signalDone(); return; }
        // While it is registered, QMP clients' commands wait: as in QEMU, a client's first command sees the whole
        // command line applied (-display, -device, ...).
        configuring = context.registerService(Runnable.class, () -> { },
                new java.util.Hashtable<>(java.util.Map.of("orrery.commandline", "running")));
        worker = Thread.ofPlatform().name("orrery-command-line").daemon(true).start(this::run);
    }

    private void run() {
        List<String> list;
        try {
            list = new ArrayList<>();
            for (JsonNode n : new ObjectMapper().readTree(args)) list.add(n.asText());
        } catch (IOException e) {
            finish(1, "orrery: cannot read the command line: " + e.getMessage());
            return;
        }
        PrintStream out = System.out;
        MachineLauncher launcher = new MachineLauncher(new MachineLauncher.Environment() {
            public MachineManager machines() { return machines; }
            public CommandLayer commands() { return commands; }
            public TypeRegistry types() { return types; }
            public PrintStream out() { return out; }
        });
        try {
            MachineLauncher.Outcome outcome = launcher.launch(list);
            if (outcome.exitStatus() != null) finish(outcome.exitStatus(), null);
        } catch (CommandLineException e) {
            finish(1, e.line());
        } catch (QomException e) {
            finish(1, "orrery: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            // a bug or the host running out of something: still one line and exit status 1, never a hang
            finish(1, "orrery: " + oneLine(e));
        } finally {
            try {
                configuring.unregister();
            } catch (IllegalStateException stopping) {
                // the bundle is stopping and took it away already
            }
            signalDone();
        }
    }

    /** Lets the launcher start the console: the machine (if any) is built. */
    private void signalDone() {
        try {
            context.registerService(Runnable.class, () -> { }, new java.util.Hashtable<>(java.util.Map.of("orrery.commandline", "done")));
        } catch (IllegalStateException stopping) {
            // the bundle is stopping; nobody waits any more
        }
    }

    /** A throwable the user did not cause, on one line: its kind and message, and its cause's. */
    static String oneLine(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null && b.length() < 400; c = c.getCause()) {
            if (!b.isEmpty()) b.append("; caused by ");
            b.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) b.append(": ").append(c.getMessage().lines().findFirst().orElse(""));
            if (c.getCause() == c) break;
        }
        return b.toString();
    }

    private void finish(int status, String message) {
        if (message != null) System.err.println(CommandLineException.oneLine(message));
        System.out.flush();
        IntConsumer e = exit;
        if (e != null) e.accept(status);
    }

    @Deactivate void deactivate() {
        if (worker != null) worker.interrupt();
    }
}
