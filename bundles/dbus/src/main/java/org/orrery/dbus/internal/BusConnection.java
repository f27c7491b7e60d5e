package org.orrery.dbus.internal;

import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.TransportBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.MethodReturn;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to a bus, on dbus-java's transport layer only: dbus-java authenticates, frames,
 * marshals and demarshals messages; which messages mean what is ours. (dbus-java's own connection
 * classes dispatch to statically typed Java interfaces, while our interfaces come from the schema at
 * run time.) Writes are serialized; reading is done by one caller of {@link #read()}.
 */
final class BusConnection implements Closeable {
    static final String BUS = "org.freedesktop.DBus";
    static final String BUS_PATH = "/org/freedesktop/DBus";

    /** The largest reply the machine thread writes itself. */
    static final int SMALL = 2048;
    static final int SEND_BUFFER = 1 << 20;

    private final AbstractTransport transport;
    private final MessageFactory factory;
    private final String address;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<Long, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private volatile String uniqueName;
    private volatile boolean closed;

    private BusConnection(String address, AbstractTransport transport) {
        this.address = address;
        this.transport = transport;
        this.factory = transport.getMessageFactory();
    }

    /** Connects, authenticates and says Hello; the bus's answer gives the unique name. */
    static BusConnection open(String address, int timeoutMillis) throws IOException {
        AbstractTransport t;
        try {
            t = TransportBuilder.create(address).configure()
                    .withServiceLoaderClassLoader(BusConnection.class.getClassLoader())
                    .withTimeout(timeoutMillis)
                    .withAutoConnect(true)
                    .back().build();
        } catch (DBusException e) {
            throw new IOException(e.getMessage(), e);
        }
        BusConnection c = new BusConnection(address, t);
        try {
            try {
                t.getTransportConnection().getChannel().setOption(java.net.StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
            } catch (IOException | UnsupportedOperationException e) {
                // the default buffer still holds the replies the machine thread writes (64 x 2 KiB)
            }
            MethodCall hello = c.factory.createMethodCall(null, BUS, BUS_PATH, BUS, "Hello", (byte) 0, null);
            c.write(hello);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (System.nanoTime() < deadline) {
                Message m = t.readMessage();
                if (m == null) continue;
                if (m.getReplySerial() != hello.getSerial()) continue;
                if (m instanceof Error err) throw new IOException("Hello refused: " + errorText(err));
                Object[] p = m.getParameters();
                c.uniqueName = (String) p[0];
                return c;
            }
            throw new IOException("the bus did not answer Hello");
        } catch (DBusException | RuntimeException e) {
            c.close();
            throw new IOException(e.getMessage(), e);
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    String uniqueName() { return uniqueName; }
    String address() { return address; }
    MessageFactory factory() { return factory; }
    boolean isOpen() { return !closed && transport.isConnected(); }

    /** Reads the next message (blocking); replies to our own calls complete their futures and are not returned. */
    Message read() throws IOException {
        while (true) {
            Message m;
            try {
                m = transport.readMessage();
            } catch (DBusException e) {
                throw new IOException(e.getMessage(), e);
            }
            if (m == null) {
                if (closed || !transport.isConnected()) throw new IOException("connection closed");
                continue;
            }
            if ((m instanceof MethodReturn || m instanceof Error) && !pending.isEmpty()) {
                CompletableFuture<Message> f = pending.remove(m.getReplySerial());
                if (f != null) { f.complete(m); continue; }
            }
            return m;
        }
    }

    /**
     * Sends a message in one write. (dbus-java's own writer sends each marshalled fragment with its own
     * system call, which wakes the bus daemon for every fragment and costs a third of the throughput.)
     */
    void write(Message m) throws IOException {
        ByteBuffer buf = wire(m);
        writeLock.lock();
        try {
            if (closed) throw new IOException("connection closed");
            SocketChannel ch = transport.getTransportConnection().getChannel();
            while (buf.hasRemaining()) ch.write(buf);
        } finally {
            writeLock.unlock();
        }
    }

    /** A message's wire form in one buffer. */
    static ByteBuffer wire(Message m) {
        byte[][] parts = m.getWireData();
        int n = 0;
        for (byte[] p : parts) if (p != null) n += p.length;
        ByteBuffer buf = ByteBuffer.allocate(n);
        for (byte[] p : parts) if (p != null) buf.put(p);
        return buf.flip();
    }

    /**
     * Writes a small message now if no other write is under way, without waiting: for the machine thread,
     * which must never block on the bus. The socket's send buffer (at least {@link #SEND_BUFFER}) holds every
     * reply in flight ({@code maxInFlight} of at most {@link #SMALL} bytes) even when the bus stops reading.
     * Returns false when the caller must hand the message to a writer thread instead.
     */
    boolean tryWriteSmall(ByteBuffer buf) throws IOException {
        if (buf.remaining() > SMALL || !writeLock.tryLock()) return false;
        try {
            if (closed) throw new IOException("connection closed");
            SocketChannel ch = transport.getTransportConnection().getChannel();
            while (buf.hasRemaining()) ch.write(buf);
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    void write(ByteBuffer buf) throws IOException {
        writeLock.lock();
        try {
            if (closed) throw new IOException("connection closed");
            SocketChannel ch = transport.getTransportConnection().getChannel();
            while (buf.hasRemaining()) ch.write(buf);
        } finally {
            writeLock.unlock();
        }
    }

    /** Calls a method of the bus itself and waits for the answer (someone must be calling {@link #read()}). */
    Object[] callBus(String member, String sig, Object... args) throws IOException {
        try {
            MethodCall call = factory.createMethodCall(null, BUS, BUS_PATH, BUS, member, (byte) 0, sig, args);
            CompletableFuture<Message> f = new CompletableFuture<>();
            pending.put(call.getSerial(), f);
            write(call);
            Message reply = f.get(10, TimeUnit.SECONDS);
            if (reply instanceof Error err) throw new IOException(errorText(err));
            return reply.getParameters();
        } catch (DBusException e) {
            throw new IOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no answer from the bus to " + member);
        }
    }

    static String errorText(Error err) {
        try {
            Object[] p = err.getParameters();
            return err.getName() + (p != null && p.length > 0 ? ": " + p[0] : "");
        } catch (DBusException e) {
            return err.getName();
        }
    }

    @Override public void close() {
        closed = true;
        for (CompletableFuture<Message> f : pending.values()) f.completeExceptionally(new IOException("connection closed"));
        pending.clear();
        try {
            transport.close();
        } catch (IOException | RuntimeException ignored) {
            // closing a broken connection
        }
    }
}
