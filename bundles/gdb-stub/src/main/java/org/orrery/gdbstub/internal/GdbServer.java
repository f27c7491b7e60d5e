package org.orrery.gdbstub.internal;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.StopReason;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The stub of one machine: a listening socket and at most one gdb client at a time (a second one is
 * turned away, as QEMU's single-client chardev does). Threads: one listener; per client one reader (the
 * only thread blocked on the socket) and one dispatcher (the only thread that talks protocol). The
 * machine thread only ever enqueues stop events, so gdb can never block it.
 */
final class GdbServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GdbServer.class.getName());
    private static final long POLL_MILLIS = 100;
    private static final long ACK_TIMEOUT_MILLIS = 3000;
    private static final int MAX_RESENDS = 5;

    private final DebugTarget target;
    private final GdbDevice device;
    private final ServerSocketChannel listener;
    private final Thread acceptor;
    private volatile boolean open = true;
    private volatile Connection current;

    GdbServer(DebugTarget target, GdbDevice device) {
        this.target = target;
        this.device = device;
        try {
            if (device.unixPath() != null) {
                Files.deleteIfExists(device.unixPath()); // a stale socket file, as QEMU removes it
                listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            } else {
                listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            listener.bind(device.address(), 1);
        } catch (IOException e) {
            throw new QomException("gdbstub: cannot listen on '" + device.spec() + "': " + e.getMessage());
        }
        target.setDebugListener(this::debugStop);
        acceptor = Thread.ofVirtual().name("gdbstub-listen " + device.spec()).start(this::acceptLoop);
    }

    String spec() { return device.spec(); }

    /** The TCP port actually bound (useful with port 0), or -1 for a Unix socket. */
    int localPort() {
        try {
            return listener.getLocalAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    boolean connected() { Connection c = current; return c != null && c.alive; }

    /** A hart's thread: its hart stopped for the debugger (the machine is in DEBUG). */
    private void debugStop(int hart, StopReason reason) {
        if (reason == StopReason.STEP) target.call(() -> {
            for (Hart h : target.harts()) h.debug().setSingleStep(false);
            return null;
        });
        Connection c = current;
        if (c != null && c.alive) c.events.add(new Event.Stop(hart, reason));
    }

    private void acceptLoop() {
        while (open) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (open) LOG.log(Level.WARNING, "gdbstub: accept on " + device.spec() + " failed", e);
                return;
            }
            if (connected() || !open) {
                closeQuietly(ch); // one debugger at a time
                continue;
            }
            Connection c = new Connection(ch);
            current = c;
            c.start();
        }
    }

    @Override public void close() {
        open = false;
        target.setDebugListener(null);
        closeQuietly(listener);
        Connection c = current;
        if (c != null) c.shutdown();
        if (device.unixPath() != null) {
            try {
                Files.deleteIfExists(device.unixPath());
            } catch (IOException ignored) {
                // nothing left to do about it
            }
        }
        acceptor.interrupt();
        // the JDK releases a listening socket only once the thread blocked in accept() has left it: wait,
        // so the port is free (and refuses connections) when close returns
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** What the dispatcher reacts to. */
    private sealed interface Event {
        record Input(PacketReader.Input input) implements Event { }
        record Stop(int hart, StopReason reason) implements Event { }
        record Closed() implements Event { }
    }

    /** One gdb client. */
    private final class Connection implements GdbSession.Link {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final Deque<Event> deferred = new ArrayDeque<>();
        private final SocketChannel channel;
        private final GdbSession session;
        private final Object writeLock = new Object();
        volatile boolean alive = true;
        private volatile boolean acking = true;

        Connection(SocketChannel channel) {
            this.channel = channel;
            this.session = new GdbSession(target, this);
            try {
                if (device.unixPath() == null) channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException ignored) {
                // only latency
            }
        }

        void start() {
            Thread.ofVirtual().name("gdbstub-read " + device.spec()).start(this::readLoop);
            Thread.ofVirtual().name("gdbstub-client " + device.spec()).start(this::dispatchLoop);
        }

        void shutdown() {
            alive = false;
            closeQuietly(channel);
        }

        private void readLoop() {
            PacketReader reader = new PacketReader(GdbSession.PACKET_SIZE, this::received);
            ByteBuffer buf = ByteBuffer.allocate(8192);
            try {
                while (alive) {
                    buf.clear();
                    int n = channel.read(buf);
                    if (n < 0) break;
                    reader.feed(buf.array(), 0, n);
                }
            } catch (IOException e) {
                // the client vanished: same as a clean close
            } finally {
                events.add(new Event.Closed());
            }
        }

        /** Reader thread: acknowledges packets at once (before the dispatcher answers them). */
        private void received(PacketReader.Input in) {
            switch (in) {
                case PacketReader.Input.BadChecksum b -> { if (acking) write(new byte[]{Rsp.NACK}); }
                case PacketReader.Input.Packet p -> {
                    if (acking) write(new byte[]{Rsp.ACK});
                    events.add(new Event.Input(p));
                }
                case PacketReader.Input.Overlong o -> {
                    if (acking) write(new byte[]{Rsp.ACK});
                    events.add(new Event.Input(o));
                }
                default -> events.add(new Event.Input(in));
            }
        }

        private void dispatchLoop() {
            try {
                session.attach();
                while (alive) {
                    Event e = deferred.isEmpty() ? events.poll(POLL_MILLIS, TimeUnit.MILLISECONDS) : deferred.poll();
                    if (e == null) { session.poll(); continue; }
                    switch (e) {
                        case Event.Closed c -> alive = false;
                        case Event.Stop s -> session.stopped(s.hart(), s.reason());
                        case Event.Input(PacketReader.Input.Packet p) -> session.packet(p.payload());
                        case Event.Input(PacketReader.Input.Overlong o) -> send("E22");
                        case Event.Input(PacketReader.Input.Interrupt i) -> session.interrupt();
                        default -> { } // stray acknowledgements
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "gdbstub: client on " + device.spec() + " failed", e);
            } finally {
                alive = false;
                try {
                    session.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "gdbstub: cleaning up after the client", e);
                }
                closeQuietly(channel);
            }
        }

        // ---- GdbSession.Link (dispatcher thread) ----

        @Override public void send(byte[] payload) {
            byte[] frame = Rsp.frame(payload, true);
            for (int attempt = 0; attempt <= MAX_RESENDS && alive; attempt++) {
                if (!write(frame)) return;
                if (!acking) return;
                Boolean acked = awaitAck();
                if (acked == null || acked) return; // acknowledged, or the client is gone or silent
            }
        }

        @Override public void stopAcking() { acking = false; }

        /** True for '+', false for '-', null when the client went away or said nothing for too long. */
        private Boolean awaitAck() {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_TIMEOUT_MILLIS);
            try {
                while (true) {
                    long left = deadline - System.nanoTime();
                    Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                    if (e == null) return null;
                    if (e instanceof Event.Input(PacketReader.Input.Ack a)) return true;
                    if (e instanceof Event.Input(PacketReader.Input.Nack n)) return false;
                    deferred.add(e);
                    if (e instanceof Event.Closed) return null;
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        private boolean write(byte[] data) {
            synchronized (writeLock) {
                try {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    while (b.hasRemaining()) channel.write(b);
                    return true;
                } catch (IOException e) {
                    alive = false;
                    return false;
                }
            }
        }
    }
}
