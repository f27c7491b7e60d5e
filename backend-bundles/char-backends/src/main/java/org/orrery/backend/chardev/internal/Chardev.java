package org.orrery.backend.chardev.internal;

import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.machine.backend.CharFrontEnd.CharEvent;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The abstract {@code chardev}: a character stream at {@code /chardevs/ID}. This class holds what every
 * backend shares:
 * <ul>
 * <li>input: I/O threads hand bytes to {@link #received}, which holds up to {@link #BUFFER} bytes and posts a
 * pump to the machine thread; the pump gives the front-end only what {@link CharFrontEnd#canReceive()} allows
 * and keeps the rest until {@link #frontEndReady()}. A full hold blocks the I/O thread, so a socket peer
 * feels back-pressure instead of the heap growing.</li>
 * <li>output: {@link #write} never blocks; backends with a slow sink put bytes in a bounded {@link ByteQueue}
 * drained by their own thread and return how much fit.</li>
 * <li>threads: every thread a backend starts goes through {@link #startThread} and is stopped and joined on
 * unrealize, so removing a chardev (or its bundle) leaves no thread or socket behind.</li>
 * </ul>
 */
abstract class Chardev extends QObject implements CharBackend {
    private static final Logger LOG = Logger.getLogger(Chardev.class.getName());
    static final int BUFFER = 64 * 1024;

    static final Property<String> LOGFILE = Property.of("logfile", PropertyTypes.STR)
            .description("a file that receives a copy of everything written to the chardev");
    static final Property<Boolean> LOGAPPEND = Property.of("logappend", PropertyTypes.BOOL).defaultValue(false)
            .description("append to the logfile instead of truncating it");

    private CharFrontEnd frontEnd;
    private final Object inLock = new Object();
    private volatile ByteQueue pendingIn = new ByteQueue(BUFFER);
    private boolean pumpScheduled;
    private volatile boolean outputBlocked;
    private final List<Thread> threads = new ArrayList<>();
    private FileChannel log;
    protected volatile boolean closing;

    // ---- lifecycle ----

    @Override protected final void onRealize() {
        closing = false;
        pendingIn = new ByteQueue(BUFFER);
        String logfile = get(LOGFILE);
        if (logfile != null) {
            try {
                log = get(LOGAPPEND)
                        ? FileChannel.open(Path.of(logfile), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                        : FileChannel.open(Path.of(logfile), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new QomException("Could not open '" + logfile + "': " + Errors.reason(e));
            }
        }
        try {
            open();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Opens the backend (files, sockets, processes) and starts its threads; throws {@link QomException} to refuse. */
    protected abstract void open();

    /** Closes what {@link #open()} opened so that blocked threads return; called before the threads are joined. */
    protected void close() { }

    /** Releases what is left once every thread of the backend has stopped. */
    protected void onClosed() { }

    @Override protected final void onUnrealize() { stop(); }

    @Override protected final void onFinalize() { stop(); }

    private void stop() {
        closing = true;
        pendingIn.close();
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warning("closing " + describe() + ": " + e);
        }
        List<Thread> ts;
        synchronized (threads) {
            ts = new ArrayList<>(threads);
            threads.clear();
        }
        for (Thread t : ts) {
            try {
                // a writer drains what is queued first; then anything still blocked is interrupted
                t.join(1000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(2000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) LOG.warning("thread " + t.getName() + " of " + describe() + " did not stop");
        }
        try {
            onClosed();
        } catch (RuntimeException e) {
            LOG.warning("closing " + describe() + ": " + e);
        }
        if (log != null) {
            try { log.close(); } catch (IOException ignored) { }
            log = null;
        }
        if (frontEnd != null) frontEnd = null;
    }

    /** Starts a daemon thread that is interrupted and joined when the chardev closes. */
    protected final Thread startThread(String role, Runnable body) {
        Thread t = Thread.ofPlatform().daemon(true).name("chardev-" + name() + "-" + role).unstarted(() -> {
            try {
                body.run();
            } catch (RuntimeException e) {
                if (!closing) LOG.warning("chardev " + name() + " " + role + " thread failed: " + e);
            }
        });
        synchronized (threads) { threads.add(t); }
        t.start();
        return t;
    }

    // ---- QEMU's view ----

    /** The filename query-chardev reports ("unix:/path,server=on", "pty:/dev/pts/3", "file", ...). */
    abstract String filename();

    /** What chardev-add returns for this backend (pty names its slave). */
    com.fasterxml.jackson.databind.node.ObjectNode addResult() {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    }

    boolean hasFrontEnd() { return frontEnd != null; }

    // ---- CharBackend: the front-end's side, on the machine thread ----

    @Override public void attach(CharFrontEnd fe) {
        if (fe == null) throw new IllegalArgumentException("front-end is null");
        if (frontEnd != null && frontEnd != fe)
            throw new QomException("Chardev '" + name() + "' is busy (another front-end uses it; use mux=on to share it)");
        if (!isRealized()) throw new QomException("Chardev '" + name() + "' is not open");
        frontEnd = fe;
        if (isConnected()) post(() -> { if (frontEnd == fe) fe.event(CharEvent.OPENED); });
        schedulePump();
    }

    @Override public void detach(CharFrontEnd fe) {
        if (frontEnd == fe) frontEnd = null;
    }

    CharFrontEnd frontEnd() { return frontEnd; }

    @Override public final int write(byte[] data, int offset, int length) {
        if (length <= 0) return 0;
        if (closing || !isRealized()) return length;
        int n = output(data, offset, length);
        if (n < length) outputBlocked = true;
        if (n > 0 && log != null) {
            try {
                log.write(ByteBuffer.wrap(data, offset, n));
            } catch (IOException e) {
                LOG.warning("logfile of chardev " + name() + ": " + e.getMessage());
            }
        }
        return n;
    }

    /** Takes output without blocking; returns how many bytes were accepted (dropping counts as accepting). */
    protected abstract int output(byte[] data, int offset, int length);

    /** Output threads call this when their queue has room again; wakes a front-end that was refused. */
    protected final void outputDrained() {
        if (!outputBlocked) return;
        post(() -> {
            if (outputBlocked) {
                outputBlocked = false;
                CharFrontEnd fe = frontEnd;
                if (fe != null) fe.outputReady();
            }
        });
    }

    @Override public void frontEndReady() { pump(); }

    @Override public boolean isConnected() { return true; }

    // ---- input, from I/O threads ----

    /**
     * Hands input to the front-end; blocks while {@link #BUFFER} bytes are already waiting for it. Returns
     * false when the chardev is closing.
     */
    protected final boolean received(byte[] data, int offset, int length) {
        int done = 0;
        while (done < length) {
            int n = pendingIn.offer(data, offset + done, length - done);
            done += n;
            schedulePump();
            if (done < length) {
                try {
                    if (!pendingIn.awaitBelow(BUFFER)) return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (closing) return false;
        }
        return true;
    }

    /** Reports a connection change or a break to the front-end, in order with the input. */
    protected final void event(CharEvent e) {
        post(() -> {
            CharFrontEnd fe = frontEnd;
            if (fe != null) fe.event(e);
        });
    }

    /** Bytes received but not yet taken by the front-end. */
    int pendingInput() { return pendingIn.size(); }

    private void schedulePump() {
        synchronized (inLock) {
            if (pumpScheduled) return;
            pumpScheduled = true;
        }
        post(this::pump);
    }

    private void pump() {
        synchronized (inLock) { pumpScheduled = false; }
        CharFrontEnd fe = frontEnd;
        if (fe == null) return;
        byte[] chunk = null;
        while (frontEnd == fe) {
            int room = fe.canReceive();
            if (room <= 0) break;
            if (chunk == null) chunk = new byte[Math.min(BUFFER, 4096)];
            int n = pendingIn.poll(chunk, room);
            if (n <= 0) break;
            fe.receive(chunk, 0, n);
        }
    }

    /** Runs {@code task} on the machine thread (dropped once the machine is gone). */
    protected final void post(Runnable task) {
        try {
            tree().safePoint().post(task);
        } catch (RuntimeException e) {
            // the machine is shutting down; nobody is left to deliver to
        }
    }
}
