package org.orrery.qmp.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A QMP session ("libqmp"). {@link #connect} reads the greeting and negotiates capabilities; then
 * {@link #call} runs a command and returns its {@code return} value or throws {@link QmpException} with
 * the error's class and description; {@link #callAsync} does the same without waiting; events reach
 * {@link #subscribe subscribers} in the order the server sent them, on a thread of the client's (never
 * the transport's reader, so a subscriber may itself call commands). {@link #commands()} is the typed
 * facade generated from the schema.
 *
 * <p>Thread-safe: any number of threads may call at once; each request carries an id and its reply is
 * matched by that id. No state is shared between clients.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(QmpClient.class.getName());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Duration GREETING_TIMEOUT = Duration.ofSeconds(30);

    /** An event subscription; closing it stops delivery. */
    public interface Subscription extends AutoCloseable {
        @Override void close();
    }

    /** Events buffered as they arrive, for code that waits for a particular one. */
    public interface EventQueue extends Subscription {
        /** The next event, or null after {@code timeout}. */
        QmpEvent poll(Duration timeout) throws InterruptedException;

        /** The next event called {@code name} (others are dropped), or null after {@code timeout}. */
        QmpEvent await(String name, Duration timeout) throws InterruptedException;
    }

    private record Subscriber(String name, Consumer<QmpEvent> listener) { }

    private final QmpTransport transport;
    private final ReentrantLock sessionLock = new ReentrantLock();
    private final ConcurrentSkipListMap<Long, CompletableFuture<JsonNode>> pending = new ConcurrentSkipListMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Serial eventDispatch = new Serial("qmp-client events");
    private final Serial inlineWorker = new Serial("qmp-client calls");
    private final CompletableFuture<ObjectNode> greeting = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Throwable closeCause;
    private volatile QmpCommands commands;

    private QmpClient(QmpTransport transport) { this.transport = transport; }

    /** Opens a session over {@code transport}: greeting, then qmp_capabilities. */
    public static QmpClient connect(QmpTransport transport) throws IOException {
        QmpClient c = new QmpClient(Objects.requireNonNull(transport));
        try {
            transport.open(c.new Inbound());
            c.greeting.get(GREETING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            c.call("qmp_capabilities");
            return c;
        } catch (ExecutionException | TimeoutException | QmpException e) {
            c.close();
            throw new IOException("QMP session could not be opened: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the QMP session", e);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Connects to {@code unix:PATH} or {@code tcp:HOST:PORT} (the address a QMP server listens on). */
    public static QmpClient connect(String address) throws IOException {
        if (address.startsWith("unix:")) return connectUnix(Path.of(address.substring(5).split(",")[0]));
        if (address.startsWith("tcp:")) {
            String hp = address.substring(4).split(",")[0];
            int colon = hp.lastIndexOf(':');
            String host = hp.substring(0, colon);
            if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
            return connectTcp(host.isEmpty() ? "127.0.0.1" : host, Integer.parseInt(hp.substring(colon + 1)));
        }
        throw new IllegalArgumentException("not a QMP socket address: " + address + " (unix:PATH or tcp:HOST:PORT)");
    }

    public static QmpClient connectUnix(Path socket) throws IOException { return connect(QmpSocketTransport.unix(socket)); }

    public static QmpClient connectTcp(String host, int port) throws IOException { return connect(QmpSocketTransport.tcp(host, port)); }

    /** The server's greeting: {@code {"QMP": {"version": ..., "capabilities": [...]}}}. */
    public ObjectNode greeting() { return greeting.getNow(null); }

    /** The version object of the greeting. */
    public JsonNode version() { return greeting().path("QMP").path("version"); }

    /** The typed calls, one method per command of the schema this library was built from. */
    public QmpCommands commands() {
        QmpCommands c = commands;
        if (c == null) commands = c = new QmpCommands(this);
        return c;
    }

    public JsonNode call(String command) { return call(command, null); }

    /** Runs {@code command} and returns its result; throws {@link QmpException} for an error reply. */
    public JsonNode call(String command, ObjectNode arguments) {
        CompletableFuture<JsonNode> f = transport.repliesInline() && !inlineWorker.idle()
                ? callAsync(command, arguments)      // keep the order of calls already queued
                : send(command, arguments);
        return await(f);
    }

    /** Runs {@code command} without waiting; the future fails with {@link QmpException} for an error reply. */
    public CompletableFuture<JsonNode> callAsync(String command, ObjectNode arguments) {
        if (!transport.repliesInline()) return send(command, arguments);
        CompletableFuture<JsonNode> out = new CompletableFuture<>();
        inlineWorker.execute(() -> send(command, arguments).whenComplete((r, e) -> {
            if (e != null) out.completeExceptionally(e);
            else out.complete(r);
        }));
        return out;
    }

    public CompletableFuture<JsonNode> callAsync(String command) { return callAsync(command, null); }

    private CompletableFuture<JsonNode> send(String command, ObjectNode arguments) {
        long id = ids.incrementAndGet();
        ObjectNode msg = F.objectNode().put("execute", command);
        if (arguments != null) msg.set("arguments", arguments);
        msg.put("id", id);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        sessionLock.lock();
        try {
            if (closed.get()) throw new IOException("session closed");
            transport.send(msg);
        } catch (IOException | RuntimeException e) {
            pending.remove(id);
            f.completeExceptionally(new QmpException(QmpException.DISCONNECTED, "QMP session lost: " + e.getMessage(), e));
        } finally {
            sessionLock.unlock();
        }
        return f;
    }

    private static JsonNode await(CompletableFuture<JsonNode> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof QmpException q) throw new QmpException(q.errorClass(), q.desc(), q);
            throw new QmpException("GenericError", String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException(QmpException.DISCONNECTED, "interrupted while waiting for the reply", e);
        }
    }

    // ---- events ----

    public Subscription subscribe(Consumer<QmpEvent> listener) { return subscribe(null, listener); }

    /** Delivers events called {@code eventName} (every event when null) to {@code listener}. */
    public Subscription subscribe(String eventName, Consumer<QmpEvent> listener) {
        Subscriber s = new Subscriber(eventName, Objects.requireNonNull(listener));
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }

    /** Buffers every event from now on until the queue is closed. */
    public EventQueue eventQueue() {
        BlockingQueue<QmpEvent> q = new LinkedBlockingQueue<>();
        Subscription s = subscribe(q::add);
        return new EventQueue() {
            @Override public QmpEvent poll(Duration timeout) throws InterruptedException {
                return q.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override public QmpEvent await(String name, Duration timeout) throws InterruptedException {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (true) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return null;
                    QmpEvent e = q.poll(left, TimeUnit.NANOSECONDS);
                    if (e == null) return null;
                    if (e.name().equals(name)) return e;
                }
            }

            @Override public void close() { s.close(); }
        };
    }

    public boolean isOpen() { return !closed.get(); }

    /** Ends the session; calls still waiting fail with {@link QmpException#DISCONNECTED}. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            transport.close();
        } finally {
            failPending(closeCause);
        }
    }

    private void failPending(Throwable cause) {
        for (Map.Entry<Long, CompletableFuture<JsonNode>> e; (e = pending.pollFirstEntry()) != null; )
            e.getValue().completeExceptionally(new QmpException(QmpException.DISCONNECTED,
                    "QMP session closed" + (cause == null ? "" : ": " + cause.getMessage()), cause));
        greeting.completeExceptionally(new IOException("QMP session closed before the greeting"));
    }

    private final class Inbound implements QmpTransport.Inbound {
        @Override
        public void message(ObjectNode m) {
            if (m.has("event")) {
                JsonNode ts = m.path("timestamp");
                JsonNode data = m.get("data");
                QmpEvent e = new QmpEvent(m.path("event").asText(), data instanceof ObjectNode o ? o : F.objectNode(),
                        ts.path("seconds").asLong(), ts.path("microseconds").asLong());
                if (!subscribers.isEmpty()) eventDispatch.execute(() -> deliver(e));
                return;
            }
            if (m.has("QMP")) {
                greeting.complete(m);
                return;
            }
            JsonNode id = m.get("id");
            CompletableFuture<JsonNode> f = id != null && id.canConvertToLong() ? pending.remove(id.longValue()) : null;
            if (f == null) {
                // a reply without our id (the server could not parse what it answers): replies come in order
                Map.Entry<Long, CompletableFuture<JsonNode>> oldest = pending.pollFirstEntry();
                if (oldest == null) {
                    LOG.fine("unexpected QMP message " + m);
                    return;
                }
                f = oldest.getValue();
            }
            if (m.has("return")) {
                f.complete(m.get("return"));
            } else {
                JsonNode err = m.path("error");
                f.completeExceptionally(new QmpException(err.path("class").asText("GenericError"), err.path("desc").asText("")));
            }
        }

        @Override
        public void closed(Throwable cause) {
            closeCause = cause;
            closed.set(true);
            failPending(cause);
        }
    }

    private void deliver(QmpEvent e) {
        for (Subscriber s : subscribers) {
            if (s.name() != null && !s.name().equals(e.name())) continue;
            try {
                s.listener().accept(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "QMP event subscriber failed on " + e.name(), ex);
            }
        }
    }

    /** Runs tasks one at a time, in order, on a virtual thread that exists only while there is work. */
    private static final class Serial implements Executor {
        private final String name;
        private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean();

        Serial(String name) { this.name = name; }

        @Override public void execute(Runnable task) {
            queue.add(task);
            if (running.compareAndSet(false, true)) Thread.ofVirtual().name(name).start(this::drain);
        }

        boolean idle() { return queue.isEmpty() && !running.get(); }

        private void drain() {
            do {
                for (Runnable r; (r = queue.poll()) != null; ) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, name + ": task failed", e);
                    }
                }
                running.set(false);
            } while (!queue.isEmpty() && running.compareAndSet(false, true));
        }
    }
}
