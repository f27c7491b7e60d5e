package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandGate;
import org.orrery.command.CommandHandler;
import org.orrery.command.CommandJournal;
import org.orrery.command.CommandLayer;
import org.orrery.command.CommandModule;
import org.orrery.command.SchemaEntity;
import org.orrery.command.SchemaParser;
import org.orrery.command.Session;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/**
 * The command layer's logic, free of OSGi: modules come and go, each change produces a new immutable
 * snapshot (merged schema plus handlers), and execution reads the snapshot current at that moment.
 */
public final class CommandLayerImpl implements CommandLayer {
    private static final Logger LOG = Logger.getLogger(CommandLayerImpl.class.getName());

    private record Module(Object key, List<SchemaEntity> entities, Map<String, CommandHandler> handlers) { }

    /** One consistent view of the installed schema; its introspection is computed on first request. */
    private static final class Snapshot {
        final SchemaSet schema;
        final Map<String, CommandHandler> handlers;
        private volatile ArrayNode introspection;

        Snapshot(SchemaSet schema, Map<String, CommandHandler> handlers) {
            this.schema = schema;
            this.handlers = handlers;
        }

        SchemaSet schema() { return schema; }
        Map<String, CommandHandler> handlers() { return handlers; }

        ArrayNode introspection() {
            ArrayNode i = introspection;
            if (i == null) introspection = i = schema.introspect();
            return i;
        }
    }

    /** The commands whose answer lists what the installed bundles provide. */
    private static final Set<String> LISTINGS = Set.of("query-commands", "query-qmp-schema");
    /** How long a command whose bundle the start has just brought may take to reach the layer. */
    private static final long BROUGHT_COMMAND_WAIT_NANOS = 10_000_000_000L;

    private final List<Module> modules = new ArrayList<>();
    /** Waits while the container is still starting bundles (see {@link #setStartupWait}); a no-op by default. */
    private volatile java.util.function.Predicate<String> startupWait = wanted -> false;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    /** The current view; null after a change until the next read builds it (many modules come at start). */
    private volatile Snapshot snapshot;

    /**
     * Adds a module. Its schema is parsed outside the lock, and the listeners hear of the change after the lock is
     * released: a listener that takes a lock of its own and then reads the layer (the Gogo functions do) must not
     * meet a module being added under the layer's lock on another thread (bundles start on several).
     */
    public void add(Object key, CommandModule module, String origin) {
        List<SchemaEntity> entities = SchemaParser.parse(module.schema(), origin);
        Map<String, CommandHandler> handlers = module.handlers();
        Set<String> declared = new HashSet<>();
        for (SchemaEntity e : entities) {
            if (!(e instanceof SchemaEntity.Command c)) continue;
            declared.add(c.name());
            if (!handlers.containsKey(c.name()))
                throw new QomException("command module of " + origin + " declares '" + c.name() + "' but has no handler for it");
        }
        for (String h : handlers.keySet())
            if (!declared.contains(h))
                throw new QomException("command module of " + origin + " has a handler for '" + h + "' that its schema does not declare");
        synchronized (this) {
            modules.add(new Module(key, entities, handlers));
            snapshot = null;
            notifyAll();   // a command asked for may have come
        }
        changed();
    }

    public void remove(Object key) {
        boolean removed;
        synchronized (this) {
            removed = modules.removeIf(m -> m.key() == key);
            if (removed) snapshot = null;
        }
        if (removed) changed();
    }

    /** Tells the listeners; called without the layer's lock (see {@link #add}). */
    private void changed() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.warning("schema change listener failed: " + e);
            }
        }
    }

    /** The current view, built from the installed modules on the first read after a change. */
    private Snapshot snapshot() {
        Snapshot s = snapshot;
        if (s != null) return s;
        synchronized (this) {
            if (snapshot == null) {
                List<SchemaEntity> all = new ArrayList<>(BuiltinSchema.entities());
                for (Module m : modules) all.addAll(m.entities());
                snapshot = build(modules, all);
            }
            return snapshot;
        }
    }

    private static Snapshot build(List<Module> modules, List<SchemaEntity> all) {
        SchemaSet set = new SchemaSet(all);
        for (Map.Entry<String, String> p : set.problems().entrySet()) LOG.warning("schema: " + p.getKey() + " " + p.getValue());
        Map<String, CommandHandler> handlers = new HashMap<>();
        for (Module m : modules) {
            // the set keeps the very entity objects the modules parsed: a handler serves the command its own
            // module's declaration of it won (compared by identity, as deep record equality is slow, and its
            // first use bootstraps method handles on the start's critical path)
            Set<SchemaEntity> own = Collections.newSetFromMap(new IdentityHashMap<>());
            own.addAll(m.entities());
            for (Map.Entry<String, CommandHandler> h : m.handlers().entrySet())
                if (set.get(h.getKey()) instanceof SchemaEntity.Command c && own.contains(c))
                    handlers.putIfAbsent(h.getKey(), h.getValue());
        }
        return new Snapshot(set, Map.copyOf(handlers));
    }

    /**
     * Sets what waits, bounded, while the container is still starting bundles. A command that is not
     * installed yet, and the listings of commands, wait for it, so a client that connects early gets the
     * answers of the fully started container; every other command runs at once. The wait is given the missing
     * command's name (null for a listing), so the start may bring just the bundle that declares it.
     */
    public void setStartupWait(java.util.function.Predicate<String> wait) { this.startupWait = wait; }

    /**
     * The snapshot once the start has had its chance to bring {@code name}: the bundle that declares it alone when
     * the start knows it, or else the whole start.
     */
    private Snapshot awaitCommand(String name) {
        if (startupWait.test(name)) {
            // the bundle that declares it has started; its command module may still be on its way to the layer
            long deadline = System.nanoTime() + BROUGHT_COMMAND_WAIT_NANOS;
            synchronized (this) {
                long left;
                while (!snapshot().handlers().containsKey(name) && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        wait(left / 1_000_000 + 1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        Snapshot s = snapshot();
        if (s.handlers().containsKey(name)) return s;
        startupWait.test(null);
        return snapshot();
    }

    @Override
    public JsonNode execute(ObjectTree tree, String command, Value arguments, Session session) {
        Snapshot s = snapshot();
        if (LISTINGS.contains(command)) {
            startupWait.test(null);
            s = snapshot();
        } else if (!s.handlers().containsKey(command)) {
            s = awaitCommand(command);
        }
        CommandHandler handler = s.handlers().get(command);
        if (handler == null || !(s.schema().get(command) instanceof SchemaEntity.Command cmd))
            throw new QomException(ErrorClass.CommandNotFound, "The command " + command + " has not been found");
        Arguments args = s.schema().validateArguments(cmd, arguments);
        CommandContext ctx = new CommandContext(tree, session, this);
        if (cmd.anyThread()) {
            JsonNode r = run(handler, args, ctx, cmd);
            if (cmd.journal() && tree.attachment(CommandJournal.class) != null)
                tree.safePoint().call(() -> {
                    tree.attachment(CommandJournal.class).commit(cmd.name(), arguments == null ? null : arguments.json(),
                            arguments != null && arguments.isText());
                    return null;
                });
            return r;
        }
        Callable<JsonNode> atSafePoint = () -> {
            CommandGate gate = tree.attachment(CommandGate.class);
            if (gate != null) gate.check(cmd);
            CommandJournal journal = cmd.journal() ? tree.attachment(CommandJournal.class) : null;
            if (journal == null) return run(handler, args, ctx, cmd);
            journal.begin();
            try {
                JsonNode r = run(handler, args, ctx, cmd);
                journal.commit(cmd.name(), arguments == null ? null : arguments.json(), arguments != null && arguments.isText());
                return r;
            } catch (RuntimeException e) {
                journal.abort();
                throw e;
            }
        };
        return cmd.execution() == SchemaEntity.Execution.HARTS_RUN
                ? tree.safePoint().callWhileRunning(atSafePoint) : tree.safePoint().call(atSafePoint);
    }

    private static JsonNode run(CommandHandler handler, Arguments args, CommandContext ctx, SchemaEntity.Command cmd) {
        try {
            JsonNode r = handler.execute(args, ctx);
            return r == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode() : r;
        } catch (QomException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            // a bug in a handler (or a bundle going away under it) is reported, never fatal
            LOG.warning("command " + cmd.name() + " failed: " + e);
            throw new QomException("Command '" + cmd.name() + "' failed: " + e);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // one command asked for more than the host gives (a huge buffer, threads, deep nesting): that
            // command fails, the session and the machine go on
            LOG.fine("command " + cmd.name() + " ran out of resources: " + e);
            throw new QomException("Command '" + cmd.name() + "' failed: " + (e instanceof StackOverflowError
                    ? "nesting too deep" : "out of memory (" + e.getMessage() + ")"));
        }
    }

    @Override public Optional<SchemaEntity.Command> command(String name) {
        Optional<SchemaEntity.Command> found = installed(snapshot(), name);
        if (found.isPresent()) return found;
        return installed(awaitCommand(name), name);
    }

    private static Optional<SchemaEntity.Command> installed(Snapshot s, String name) {
        return s.schema().get(name) instanceof SchemaEntity.Command c && s.handlers().containsKey(name) ? Optional.of(c) : Optional.empty();
    }

    @Override public List<SchemaEntity.Command> commands() {
        Snapshot s = snapshot();
        List<SchemaEntity.Command> out = new ArrayList<>();
        for (SchemaEntity.Command c : s.schema().commands()) if (s.handlers().containsKey(c.name())) out.add(c);
        return out;
    }

    @Override public List<SchemaEntity.Event> events() { return snapshot().schema().events(); }

    @Override public Optional<SchemaEntity> entity(String name) { return Optional.ofNullable(snapshot().schema().get(name)); }

    /** Members of a struct including its base's, for front-ends that map arguments themselves. */
    public List<org.orrery.command.Member> members(String struct) { return snapshot().schema().membersOf(struct); }

    @Override public ArrayNode introspect() { return snapshot().introspection(); }

    @Override public void addChangeListener(Runnable listener) { listeners.add(listener); }

    @Override public void removeChangeListener(Runnable listener) { listeners.remove(listener); }

    Map<String, String> problems() { return new LinkedHashMap<>(snapshot().schema().problems()); }
}
