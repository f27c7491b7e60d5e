package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.Event;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One QMP session on one byte channel: the greeting, capabilities negotiation, then commands in the
 * order they arrive and events as they happen. Its reader runs on a thread of its own (a platform thread
 * unless {@code -Dorrery.qmp.virtualThreads=true}, see {@link ThreadTracker}) and executes each command
 * there: the command layer takes the machine's lock at a safe point on that same thread for commands that
 * need it, so a reply costs no thread switch. Everything written (replies and events) goes through one lock, a
 * whole message at a time.
 */
final class QmpConnection implements Session, JsonFramer.Sink {
    private static final Logger LOG = Logger.getLogger(QmpConnection.class.getName());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** A client this far behind on events is cut off rather than let memory grow without bound. */
    private static final long MAX_QUEUED_BYTES = 64L << 20;
    private static final String CAPABILITIES = "qmp_capabilities";

    private final QmpListener listener;
    private final ByteChannel channel;
    private final String name;
    private final boolean pretty;
    private final ObjectTree tree;
    private final CommandLayer layer;
    private final ObjectMapper mapper;
    private final JsonFramer framer;
    private final QmpJson.Out out;   // the reader's own buffer for replies

    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<byte[]> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Consumer<Event> eventListener = this::onEvent;

    private volatile Thread reader;
    private volatile boolean closeAfterReply;
    private boolean negotiated;
    private boolean oob;

    QmpConnection(QmpListener listener, ByteChannel channel, String name) {
        this.listener = listener;
        this.channel = channel;
        this.name = name;
        this.pretty = listener.pretty();
        this.tree = listener.tree();
        this.layer = listener.layer();
        this.mapper = listener.server().mapper();
        this.framer = new JsonFramer(this, listener.server().maxMessageSize());
        this.out = new QmpJson.Out(pretty);
    }

    @Override public String name() { return name; }

    boolean isOpen() { return !closed.get(); }

    /** The session: runs on the connection's own thread until the client goes or the listener closes. */
    void run() {
        reader = Thread.currentThread();
        try {
            greet();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (!closed.get() && !closeAfterReply) {
                int n = channel.read(buf);
                if (n < 0) {
                    framer.endOfInput();
                    break;
                }
                framer.feed(buf.array(), 0, n);
                buf.clear();
            }
        } catch (IOException e) {
            // the client went away or the listener closed the channel: nothing to report
        } catch (RuntimeException | Error e) {
            // a failure outside any one command (framing, writing): the session cannot go on, but is told why
            LOG.log(Level.WARNING, name + ": session ended by an internal error", e);
            try {
                error(null, ErrorClass.GenericError, "session ended by an internal error: " + e);
            } catch (RuntimeException | Error ignored) {
                // nothing more can be said to this client
            }
        } finally {
            closeQuietly();
        }
    }

    private void greet() {
        JsonNode version;
        try {
            version = layer.execute(tree, "query-version", null, this);
        } catch (RuntimeException e) {
            version = F.objectNode();
        }
        // QEMU lists the triple micro-first; clients never care, but the bytes then match
        JsonNode q = version.path("qemu");
        if (q.isObject() && q.has("major") && q.has("minor") && q.has("micro") && version instanceof ObjectNode v) {
            ObjectNode ordered = F.objectNode();
            ordered.set("micro", q.get("micro"));
            ordered.set("minor", q.get("minor"));
            ordered.set("major", q.get("major"));
            v = v.deepCopy();
            v.set("qemu", ordered);
            version = v;
        }
        ObjectNode greeting = F.objectNode();
        ObjectNode qmp = greeting.putObject("QMP");
        qmp.set("version", version);
        qmp.putArray("capabilities").add("oob");
        out.reset();
        out.value(greeting, 0).end();
        writeReply();
    }

    // ---- input ----

    @Override
    public void text(byte[] buf, int off, int len) {
        if (closeAfterReply || closed.get()) return;
        JsonNode node;
        try {
            node = mapper.readTree(buf, off, len);
        } catch (StreamConstraintsException e) {
            error(null, ErrorClass.GenericError, e.getMessage().contains("depth") ? "JSON nesting depth limit exceeded"
                    : "JSON token size limit exceeded");
            return;
        } catch (JsonProcessingException e) {
            error(null, ErrorClass.GenericError, "JSON parse error, " + JsonErrors.describe(e));
            return;
        } catch (IOException e) {
            error(null, ErrorClass.GenericError, "JSON parse error, " + e.getMessage());
            return;
        }
        if (node == null || node.isMissingNode()) return;
        if (!(node instanceof ObjectNode request)) {
            error(null, ErrorClass.GenericError, "QMP input must be a JSON object");
            return;
        }
        dispatch(request);
    }

    @Override
    public void error(String desc) {
        if (closeAfterReply || closed.get()) return;
        error(null, ErrorClass.GenericError, desc);
    }

    private void dispatch(ObjectNode request) {
        JsonNode id = request.get("id");
        String execute = null;
        String execOob = null;
        ObjectNode arguments = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "execute" -> {
                    if (!v.isTextual()) { error(id, ErrorClass.GenericError, "QMP input member 'execute' must be a string"); return; }
                    execute = v.textValue();
                }
                case "exec-oob" -> {
                    if (!oob) { error(id, ErrorClass.GenericError, "QMP input member 'exec-oob' is unexpected"); return; }
                    if (!v.isTextual()) { error(id, ErrorClass.GenericError, "QMP input member 'exec-oob' must be a string"); return; }
                    execOob = v.textValue();
                }
                case "arguments" -> {
                    if (!(v instanceof ObjectNode o)) { error(id, ErrorClass.GenericError, "QMP input member 'arguments' must be an object"); return; }
                    arguments = o;
                }
                case "id" -> { }
                default -> {
                    error(id, ErrorClass.GenericError, "QMP input member '" + e.getKey() + "' is unexpected");
                    return;
                }
            }
        }
        if (execute != null && execOob != null) {
            error(id, ErrorClass.GenericError, "QMP input member 'execute' clashes with 'exec-oob'");
            return;
        }
        if (execute == null && execOob == null) {
            error(id, ErrorClass.GenericError, "QMP input lacks member 'execute'");
            return;
        }
        if (!negotiated) {
            if (!CAPABILITIES.equals(execute)) {
                error(id, ErrorClass.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
                return;
            }
            negotiate(arguments, id);
            return;
        }
        if (execOob != null) {
            if (layer.command(execOob).isEmpty()) error(id, ErrorClass.CommandNotFound, "The command " + execOob + " has not been found");
            else error(id, ErrorClass.GenericError, "The command " + execOob + " does not support OOB");
            return;
        }
        if (CAPABILITIES.equals(execute)) {
            error(id, ErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
            return;
        }
        listener.server().commandLine().await();
        JsonNode result;
        try {
            result = layer.execute(tree, execute, arguments == null ? null : Value.ofJson("arguments", arguments), this);
        } catch (QomException e) {
            error(id, e.errorClass(), e.getMessage());
            return;
        } catch (RuntimeException | LinkageError | OutOfMemoryError | StackOverflowError e) {
            // outside what the command layer answers itself: still a reply, and the session goes on
            LOG.log(Level.WARNING, name + ": command " + execute + " failed", e);
            error(id, ErrorClass.GenericError, "Command '" + execute + "' failed: " + e);
            return;
        }
        out.reset();
        out.b('{').sep(0, 0).key("return").value(result, 1);
        if (id != null) out.sep(1, 0).key("id").value(id, 1);
        out.close('}', 2, 0).end();
        writeReply();
    }

    private void negotiate(ObjectNode arguments, JsonNode id) {
        boolean enableOob = false;
        try {
            // validated by the schema (QMPCapability), so the errors are the command layer's
            layer.execute(tree, CAPABILITIES, arguments == null ? null : Value.ofJson("arguments", arguments), this);
        } catch (QomException e) {
            if (e.errorClass() != ErrorClass.CommandNotFound) {
                error(id, e.errorClass(), e.getMessage());
                return;
            }
        }
        if (arguments != null && arguments.get("enable") != null)
            for (JsonNode c : arguments.get("enable")) if ("oob".equals(c.asText())) enableOob = true;
        oob = enableOob;
        negotiated = true;
        tree.events().subscribe(eventListener);
        out.reset();
        out.b('{').sep(0, 0).key("return").value(F.objectNode(), 1);
        if (id != null) out.sep(1, 0).key("id").value(id, 1);
        out.close('}', 2, 0).end();
        writeReply();
    }

    private void error(JsonNode id, ErrorClass cls, String desc) {
        out.reset();
        out.b('{');
        int i = 0;
        if (id != null) out.sep(i++, 0).key("id").value(id, 1);
        out.sep(i++, 0).key("error").b('{').sep(0, 1).key("class").string(cls.name())
                .sep(1, 1).key("desc").string(desc == null ? "" : desc).close('}', 2, 1);
        out.close('}', i, 0).end();
        writeReply();
    }

    // ---- output ----

    private void onEvent(Event e) {
        if (closed.get()) return;
        QmpJson.Out o = new QmpJson.Out(pretty);
        o.b('{').sep(0, 0).key("timestamp").b('{').sep(0, 1).key("seconds").number(e.seconds())
                .sep(1, 1).key("microseconds").number(e.microseconds()).close('}', 2, 1);
        o.sep(1, 0).key("event").string(e.name());
        int n = 2;
        if (e.data() != null && !e.data().isEmpty()) {
            o.sep(2, 0).key("data").value(e.data(), 1);
            n = 3;
        }
        o.close('}', n, 0).end();
        byte[] msg = o.toBytes();
        if (queuedBytes.addAndGet(msg.length) > MAX_QUEUED_BYTES) {
            LOG.warning(name + ": client does not read its events; disconnecting it");
            close();
            return;
        }
        outbox.add(msg);
        // never write on the emitting (machine) thread: a slow client must not stall the machine
        if (drainScheduled.compareAndSet(false, true)) listener.server().threads().start(name + " events", () -> {
            drainScheduled.set(false);
            drain();
        });
    }

    /** Writes the reply in {@link #out}, after any events queued before it, from the reader thread. */
    private void writeReply() {
        if (closed.get()) return;
        writeLock.lock();
        try {
            flushOutbox();
            ByteBuffer bb = out.buffer();
            while (bb.hasRemaining()) channel.write(bb);
        } catch (IOException e) {
            // the client went away mid-command: the command completed; its reply has nowhere to go
            closeQuietly();
        } finally {
            writeLock.unlock();
        }
        if (!outbox.isEmpty()) drain();
    }

    private void drain() {
        do {
            writeLock.lock();
            try {
                flushOutbox();
            } catch (IOException e) {
                closeQuietly();
            } finally {
                writeLock.unlock();
            }
        } while (!outbox.isEmpty() && !closed.get());
    }

    private void flushOutbox() throws IOException {
        for (byte[] m; (m = outbox.poll()) != null; ) {
            queuedBytes.addAndGet(-m.length);
            if (closed.get()) continue;
            ByteBuffer bb = ByteBuffer.wrap(m);
            while (bb.hasRemaining()) channel.write(bb);
        }
    }

    // ---- closing ----

    /**
     * Ends the session: from its own thread (a command that closes its own listener) only after the
     * reply is written; from any other thread at once, which also wakes the reader.
     */
    void close() {
        if (Thread.currentThread() == reader && !closed.get() && !closeAfterReply) {
            closeAfterReply = true;
            return;
        }
        closeQuietly();
    }

    private void closeQuietly() {
        if (!closed.compareAndSet(false, true)) return;
        tree.events().unsubscribe(eventListener);
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
        outbox.clear();
        listener.removed(this);
    }
}
