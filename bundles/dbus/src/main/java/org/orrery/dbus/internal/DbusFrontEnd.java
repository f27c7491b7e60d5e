package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.orrery.command.CommandLayer;
import org.orrery.command.Member;
import org.orrery.command.Session;
import org.orrery.qom.Event;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One D-Bus front-end: a connection to a bus that owns a well-known name and serves a machine's command
 * layer ({@code /org/orrery/Machine}), events (signals) and object tree ({@code /org/orrery/objects}).
 *
 * <p>Threads: one reader per connection; each method call runs on its own virtual thread and posts its
 * command to the machine thread through the command layer; signals are marshalled and sent by one sender
 * thread, so the machine thread only queues them. When the bus goes away the machine is not affected: the
 * front-end logs it and reconnects (and re-acquires its name) with a growing delay.
 */
final class DbusFrontEnd implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DbusFrontEnd.class.getName());
    /** Method calls being served at once per front-end; the reader waits beyond that (the bus queues). */
    private static final int MAX_IN_FLIGHT = 64;
    private static final int CONNECT_TIMEOUT_MS = 5000;

    /** A method reply: its signature ("" for none) and body. */
    record Reply(String signature, Object... body) {
        static final Reply EMPTY = new Reply("");
    }

    private final String id;
    private final String busName;
    private final String address;
    private final ObjectTree tree;
    private final CommandLayer layer;
    private final DbusTypes types;
    private final ObjectSurface objects;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ExecutorService sender;
    private final ScheduledExecutorService reconnector;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Runnable schemaListener = this::rebuild;
    private final Consumer<Event> eventListener = this::onEvent;
    private final ObjectTree.Listener treeListener = new TreeListener();
    private volatile MachineInterface machine;
    private volatile BusConnection connection;
    private volatile boolean connected;
    private volatile boolean closed;
    private long retryDelayMs = 500;

    DbusFrontEnd(String id, String busName, String address, ObjectTree tree, CommandLayer layer) {
        this.id = id;
        this.busName = busName;
        this.address = address;
        this.tree = tree;
        this.layer = layer;
        this.types = new DbusTypes(SchemaView.of(layer));
        this.objects = new ObjectSurface(tree, layer, new ObjectShapes(types));
        this.sender = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon(true).name("dbus-" + id + "-signals").unstarted(r));
        this.reconnector = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true).name("dbus-" + id + "-connect").unstarted(r));
        this.machine = MachineInterface.of(SchemaView.of(layer));
    }

    String id() { return id; }
    String busName() { return busName; }
    String address() { return address; }
    boolean isConnected() { return connected && !closed; }
    String uniqueName() { BusConnection c = connection; return connected && c != null ? c.uniqueName() : null; }
    MachineInterface machineInterface() { return machine; }

    /** Connects and owns the name; a failure (no bus, name owned) is a QomException and leaves nothing behind. */
    void start() {
        try {
            connect();
        } catch (IOException e) {
            close();
            throw new QomException(e.getMessage());
        }
        layer.addChangeListener(schemaListener);
        rebuild();
        tree.events().subscribe(eventListener);
        tree.addListener(treeListener);
        LOG.info("D-Bus front-end " + id + ": " + busName + " on " + address);
    }

    private void connect() throws IOException {
        BusConnection c;
        try {
            c = BusConnection.open(address, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            throw new IOException("D-Bus: cannot connect to " + address + ": " + e.getMessage(), e);
        }
        connection = c;
        Thread.ofPlatform().daemon(true).name("dbus-" + id + "-reader").start(() -> read(c));
        int code;
        try {
            Object[] r = c.callBus("RequestName", "su", busName, new UInt32(4)); // DBUS_NAME_FLAG_DO_NOT_QUEUE
            code = ((Number) r[0]).intValue();
        } catch (IOException e) {
            connection = null;
            c.close();
            throw new IOException("D-Bus: cannot own the name '" + busName + "' on " + address + ": " + e.getMessage(), e);
        }
        if (code != 1 && code != 4) {
            connection = null;
            c.close();
            throw new IOException("D-Bus: the name '" + busName + "' is already owned on " + address);
        }
        connected = true;
    }

    private void read(BusConnection c) {
        try {
            while (!closed) {
                Message m = c.read();
                if (m instanceof MethodCall call) {
                    inFlight.acquireUninterruptibly();
                    if (postToMachine(c, call)) continue;
                    try {
                        workers.execute(() -> {
                            try {
                                serve(c, call);
                            } finally {
                                inFlight.release();
                            }
                        });
                    } catch (RuntimeException e) {
                        inFlight.release();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (closed || connection != c) return;
            connected = false;
            c.close();
            LOG.warning("D-Bus front-end " + id + ": lost the bus at " + address + " (" + e.getMessage()
                    + "); the machine keeps running, reconnecting");
            retryDelayMs = 500;
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        if (closed) return;
        try {
            reconnector.schedule(this::reconnect, retryDelayMs, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            // shutting down
        }
    }

    private void reconnect() {
        if (closed) return;
        try {
            connect();
            LOG.info("D-Bus front-end " + id + ": reconnected to " + address + " as " + busName);
        } catch (IOException e) {
            retryDelayMs = Math.min(retryDelayMs * 2, 10_000);
            LOG.log(Level.FINE, "D-Bus front-end " + id + ": " + e.getMessage() + "; retrying in " + retryDelayMs + " ms");
            scheduleReconnect();
        }
    }

    private void rebuild() { machine = MachineInterface.of(SchemaView.of(layer)); }

    // ---- method calls ----

    /** The largest call whose arguments the reader thread converts itself. */
    private static final int SMALL_CALL = 4096;

    /**
     * The fast path for a small call of a command that runs under the machine lock anyway: the reader converts
     * the arguments, runs the command (the command layer takes the lock on this thread) and writes the (small)
     * reply itself when the connection is free; no thread hand-over at all. Anything else
     * (introspection, properties, any-thread commands that may be slow, big or malformed calls) goes to a worker.
     * Returns false when the call was not taken.
     */
    private boolean postToMachine(BusConnection c, MethodCall call) {
        if (!Names.MACHINE_PATH.equals(call.getPath())) return false;
        String iface = call.getInterface();
        if (iface != null && !iface.equals(Names.MACHINE_IFACE)) return false;
        MachineInterface.Method method = machine.method(call.getName());
        if (method == null || method.command().anyThread()) return false;
        String sig = call.getSig() == null ? "" : call.getSig();
        if (!sig.equals(method.inSignature())) return false;
        int size = 0;
        for (byte[] part : call.getWireData()) if (part != null) size += part.length;
        if (size > SMALL_CALL) return false;
        ObjectNode args;
        try {
            args = arguments(method, sig.isEmpty() ? new Object[0] : call.getParameters());
        } catch (DBusException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
            return false; // the worker reports it
        }
        Session session = () -> "dbus " + busName + " " + call.getSource();
        // the command layer takes the machine's lock on this thread, so the call runs here, with no hand-off
        Runnable run = () -> {
            try {
                Message out;
                MessageFactory f = c.factory();
                try {
                    JsonNode result = layer.execute(tree, method.command().name(), Value.ofJson("arguments", args), session);
                    if ((call.getFlags() & Flags.NO_REPLY_EXPECTED) != 0) return;
                    out = method.outSignature().isEmpty() ? f.createMethodReturn(call, null)
                            : f.createMethodReturn(call, method.outSignature(), types.toDbus(result, method.command().returns()));
                } catch (QomException e) {
                    out = error(f, call, Names.ERROR_PREFIX + e.errorClass().name(), e.getMessage(), (call.getFlags() & Flags.NO_REPLY_EXPECTED) == 0);
                } catch (DBusException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
                    LOG.log(Level.WARNING, "D-Bus front-end " + id + ": " + call.getName() + " failed", e);
                    out = error(f, call, "org.freedesktop.DBus.Error.Failed", String.valueOf(e.getMessage()), (call.getFlags() & Flags.NO_REPLY_EXPECTED) == 0);
                }
                if (out == null) return;
                java.nio.ByteBuffer wire = BusConnection.wire(out);
                if (queued.get() == 0 && c.tryWriteSmall(wire)) return;
                queued.incrementAndGet();
                sender.execute(() -> {
                    try {
                        c.write(wire);
                    } catch (IOException e) {
                        // the connection is going; the reader notices
                    } finally {
                        queued.decrementAndGet();
                    }
                });
            } catch (IOException | RuntimeException e) {
                // the connection is going, or we are closing
            } finally {
                inFlight.release();
            }
        };
        run.run();
        return true;
    }

    /** Messages handed to the sender thread and not yet written: replies then wait their turn behind them. */
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();

    private void serve(BusConnection c, MethodCall call) {
        boolean reply = (call.getFlags() & Flags.NO_REPLY_EXPECTED) == 0;
        MessageFactory f = c.factory();
        Message out;
        try {
            Reply r = route(call);
            if (!reply) return;
            out = r.signature().isEmpty() ? f.createMethodReturn(call, null) : f.createMethodReturn(call, r.signature(), r.body());
        } catch (DbusError e) {
            out = error(f, call, e.name(), e.getMessage(), reply);
        } catch (QomException e) {
            out = error(f, call, Names.ERROR_PREFIX + e.errorClass().name(), e.getMessage(), reply);
        } catch (DBusException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
            LOG.log(Level.WARNING, "D-Bus front-end " + id + ": " + call.getName() + " failed", e);
            out = error(f, call, "org.freedesktop.DBus.Error.Failed", String.valueOf(e.getMessage()), reply);
        }
        if (out == null) return;
        try {
            c.write(out);
        } catch (IOException e) {
            // the connection is going; the reader notices
        }
    }

    private Message error(MessageFactory f, MethodCall call, String name, String message, boolean reply) {
        if (!reply) return null;
        try {
            return f.createError(call.getSource(), name, call.getSerial(), "s", message == null ? "" : message);
        } catch (DBusException e) {
            LOG.log(Level.WARNING, "D-Bus front-end " + id + ": cannot build error reply", e);
            return null;
        }
    }

    static void expect(String actual, String expected, String member) {
        if (!expected.equals(actual))
            throw DbusError.invalidArgs(member + " takes arguments of signature '" + expected + "', not '" + actual + "'");
    }

    private Reply route(MethodCall call) throws DBusException {
        String path = call.getPath(), iface = call.getInterface(), member = call.getName();
        String sig = call.getSig() == null ? "" : call.getSig();
        if (Names.INTROSPECTABLE.equals(iface) || (iface == null && member.equals("Introspect"))) {
            if (!member.equals("Introspect")) throw DbusError.unknownMethod("No method " + member + " in " + Names.INTROSPECTABLE);
            expect(sig, "", member);
            return new Reply("s", introspect(path));
        }
        if (Names.PEER.equals(iface) || (iface == null && (member.equals("Ping") || member.equals("GetMachineId")))) {
            expect(sig, "", member);
            return switch (member) {
                case "Ping" -> Reply.EMPTY;
                case "GetMachineId" -> new Reply("s", machineId());
                default -> throw DbusError.unknownMethod("No method " + member + " in " + Names.PEER);
            };
        }
        Session session = () -> "dbus " + busName + " " + call.getSource();
        if (path.equals(Names.MACHINE_PATH)) {
            if (iface == null || iface.equals(Names.MACHINE_IFACE)) return callCommand(call, member, sig, session);
            if (iface.equals(Names.PROPERTIES)) {
                if (member.equals("GetAll")) { expect(sig, "s", member); return new Reply("a{sv}", Map.of()); }
                throw DbusError.unknownProperty(Names.MACHINE_IFACE + " has no properties");
            }
            throw DbusError.unknownInterface("No interface " + iface + " at " + path);
        }
        if (path.equals(Names.OBJECTS_PATH) || path.startsWith(Names.OBJECTS_PATH + "/")) {
            Object[] args = sig.isEmpty() ? new Object[0] : call.getParameters();
            return objects.call(path, iface, member, sig, args, session);
        }
        if (intermediateChildren(path) != null) throw DbusError.unknownMethod("No method " + member + " at " + path);
        throw DbusError.unknownObject("No object at " + path);
    }

    private Reply callCommand(MethodCall call, String member, String sig, Session session) throws DBusException {
        MachineInterface.Method m = machine.method(member);
        if (m == null) throw DbusError.unknownMethod("No method " + member + " in " + Names.MACHINE_IFACE
                + " (no command of that name is installed now)");
        expect(sig, m.inSignature(), member);
        ObjectNode args = arguments(m, sig.isEmpty() ? new Object[0] : call.getParameters());
        JsonNode result = layer.execute(tree, m.command().name(), Value.ofJson("arguments", args), session);
        if (m.outSignature().isEmpty()) return Reply.EMPTY;
        return new Reply(m.outSignature(), types.toDbus(result, m.command().returns()));
    }

    /** A method's D-Bus arguments as the command's JSON arguments. */
    private static ObjectNode arguments(MachineInterface.Method m, Object[] params) {
        ObjectNode args = DbusTypes.F.objectNode();
        List<Member> mandatory = m.arguments();
        for (int i = 0; i < mandatory.size(); i++) args.set(mandatory.get(i).name(), DbusTypes.toJson(params[i]));
        if (m.options()) {
            if (!(params[mandatory.size()] instanceof Map<?, ?> options))
                throw DbusError.invalidArgs("options must be a{sv}");
            for (Map.Entry<?, ?> e : options.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (args.has(key)) throw DbusError.invalidArgs("'" + key + "' is a mandatory argument of " + m.name() + ", not an option");
                args.set(key, DbusTypes.toJson(e.getValue()));
            }
        }
        return args;
    }

    // ---- introspection ----

    private static List<String> intermediateChildren(String path) {
        return switch (path) {
            case "/" -> List.of("org");
            case "/org" -> List.of("orrery");
            case "/org/orrery" -> List.of("Machine", "objects");
            default -> null;
        };
    }

    String introspect(String path) {
        List<String> children = intermediateChildren(path);
        if (children != null) return Introspection.node(Introspection.STANDARD, children);
        if (path.equals(Names.MACHINE_PATH)) return Introspection.node(machine.xml() + Introspection.STANDARD, List.of());
        if (path.equals(Names.OBJECTS_PATH) || path.startsWith(Names.OBJECTS_PATH + "/")) return objects.introspect(path);
        throw DbusError.unknownObject("No object at " + path);
    }

    private static String machineId() {
        for (String f : List.of("/etc/machine-id", "/var/lib/dbus/machine-id")) {
            try {
                String s = Files.readString(Path.of(f)).strip();
                if (!s.isEmpty()) return s;
            } catch (IOException | RuntimeException ignored) {
                // try the next
            }
        }
        return UUID.nameUUIDFromBytes("orrery".getBytes()).toString().replace("-", "");
    }

    // ---- signals ----

    private void signal(String path, String iface, String member, String sig, Object... args) {
        if (closed || !connected) return;
        queued.incrementAndGet();
        try {
            sender.execute(() -> {
                try {
                    BusConnection c = connection;
                    if (c == null || !connected) return;
                    DBusSignal s = c.factory().createSignal(null, path, iface, member, sig.isEmpty() ? null : sig, args);
                    c.write(s);
                } catch (DBusException | IOException | RuntimeException e) {
                    LOG.log(Level.FINE, "D-Bus front-end " + id + ": signal " + member + " not sent", e);
                } finally {
                    queued.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            queued.decrementAndGet(); // shutting down
        }
    }

    private void onEvent(Event e) {
        MachineInterface.Signal s = machine.signalFor(e.name());
        if (s == null) return;
        List<Object> args = new ArrayList<>();
        for (Member m : s.arguments()) args.add(types.toDbus(e.data().get(m.name()), m.type()));
        if (s.options()) {
            Map<String, Variant<?>> options = new java.util.LinkedHashMap<>();
            for (Member m : s.optional()) {
                JsonNode v = e.data().get(m.name());
                if (v != null && !v.isNull()) options.put(m.name(), DbusTypes.wrap(types.toDbus(v, m.type()), types.signature(m.type())));
            }
            args.add(options);
        }
        signal(Names.MACHINE_PATH, Names.MACHINE_IFACE, s.name(), s.signature(), args.toArray());
    }

    /** Turns tree changes (on the machine thread) into ObjectManager and PropertiesChanged signals. */
    private final class TreeListener implements ObjectTree.Listener {
        @Override public void objectAdded(QObject object) { added(object); }

        private void added(QObject o) {
            if (o.path().isEmpty()) return;
            ObjectShapes shapes = objects.shapes();
            Map<String, Map<String, Variant<?>>> ifaces = Map.of(Names.OBJECT_IFACE, shapes.values(o, shapes.shape(o)));
            signal(Names.OBJECTS_PATH, Names.OBJECT_MANAGER, "InterfacesAdded", "oa{sa{sv}}", new DBusPath(Names.objectPath(o.path())), ifaces);
            for (QObject c : o.children().values()) added(c);
        }

        @Override public void objectRemoving(QObject o) {
            if (o.path().isEmpty()) return;
            signal(Names.OBJECTS_PATH, Names.OBJECT_MANAGER, "InterfacesRemoved", "oas", new DBusPath(Names.objectPath(o.path())),
                    List.of(Names.OBJECT_IFACE));
        }

        @Override public void propertyChanged(QObject o, String property) { changed(o, property); }

        @Override public void objectRealized(QObject o) { changed(o, "realized"); }

        private void changed(QObject o, String property) {
            if (o.path().isEmpty() || o.type().property(property) == null) return;
            ObjectShapes shapes = objects.shapes();
            ObjectShapes.Shape s = shapes.shape(o);
            for (ObjectShapes.Prop p : s.props()) {
                if (!property.equals(p.qomName())) continue;
                Variant<?> v;
                try {
                    v = shapes.value(p, o.getProperty(property));
                } catch (RuntimeException e) {
                    return;
                }
                signal(Names.objectPath(o.path()), Names.PROPERTIES, "PropertiesChanged", "sa{sv}as",
                        Names.OBJECT_IFACE, Map.of(p.name(), v), List.of());
                return;
            }
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        connected = false;
        layer.removeChangeListener(schemaListener);
        tree.events().unsubscribe(eventListener);
        tree.removeListener(treeListener);
        BusConnection c = connection;
        if (c != null) c.close();
        reconnector.shutdownNow();
        sender.shutdown();
        workers.shutdown();
        LOG.info("D-Bus front-end " + id + " closed");
    }
}
