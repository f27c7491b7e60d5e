package org.orrery.qmp.server.internal;

import org.orrery.command.CommandLayer;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * One QMP endpoint bound to one machine's tree: a listening socket whose clients each get a session
 * (server=on), or one outgoing connection to a client that listens (server=off), re-established every
 * {@code reconnect} seconds when that option is given. Closing it closes its sessions and removes the
 * socket file it created.
 */
final class QmpListener {
    private static final Logger LOG = Logger.getLogger(QmpListener.class.getName());
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final QmpServer server;
    private final String id;
    private final QmpAddress address;
    private final boolean pretty;
    private final ObjectTree tree;
    private final CommandLayer layer;
    private final String sessionPrefix;
    private final Set<QmpConnection> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sessions = new AtomicInteger();
    private final CountDownLatch firstClient = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile ServerSocketChannel serverChannel;
    private volatile Path socketFile;
    private volatile int boundPort = -1;
    private volatile Thread worker;

    QmpListener(QmpServer server, String id, QmpAddress address, boolean pretty, ObjectTree tree, CommandLayer layer) {
        this.server = server;
        this.id = id;
        this.address = address;
        this.pretty = pretty;
        this.tree = tree;
        this.layer = layer;
        this.sessionPrefix = "qmp " + (address.kind() == QmpAddress.Kind.UNIX ? "unix:" + address.path()
                : "tcp:" + address.host() + ":");
    }

    String id() { return id; }
    boolean pretty() { return pretty; }
    ObjectTree tree() { return tree; }
    CommandLayer layer() { return layer; }
    QmpServer server() { return server; }
    boolean isServer() { return address.server(); }
    int clientCount() { return clients.size(); }
    int boundPort() { return boundPort; }
    String address() { return address.describe(boundPort); }
    Path socketFile() { return socketFile; }

    /** Binds (or connects), starts serving, and with wait=on returns only once the first client is in. */
    void start() {
        if (address.server()) {
            bind();
            worker = server.threads().start("qmp-listener " + id, this::acceptLoop);
            if (address.waitForClient()) {
                // not a log record: what QEMU tells the user (and scripts wait for) before it blocks
                System.err.println("QEMU waiting for connection on: disconnected:" + address());
                try {
                    firstClient.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                    throw new QomException("interrupted while waiting for a client on " + address());
                }
                if (closed) throw new QomException("QMP listener '" + id + "' was closed before a client connected");
            }
        } else {
            SocketChannel ch = connect();   // the first attempt fails loudly, as QEMU's does
            worker = server.threads().start("qmp-connector " + id, () -> connectLoop(ch));
        }
    }

    private void bind() {
        try {
            if (address.kind() == QmpAddress.Kind.UNIX) {
                Path p = Path.of(address.path()).toAbsolutePath();
                removeStaleSocket(p);
                ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                // bind() makes the file before listen() lets anyone in; a client that connects as soon as the
                // file appears (as QEMU's clients do) would be refused in between. So the socket listens
                // under a temporary name in the same folder and is renamed into place, atomically.
                Path staging = p.resolveSibling("." + p.getFileName() + ".binding-" + ProcessHandle.current().pid());
                boolean staged = staging.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 108;
                try {
                    if (staged) {
                        Files.deleteIfExists(staging);
                        ch.bind(UnixDomainSocketAddress.of(staging), 64);
                        Files.move(staging, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    } else {
                        ch.bind(UnixDomainSocketAddress.of(p), 64);
                    }
                } catch (IOException e) {
                    ch.close();
                    if (staged) Files.deleteIfExists(staging);
                    throw e;
                }
                socketFile = p;
                serverChannel = ch;
            } else {
                InetAddress host = resolve();
                IOException last = null;
                for (int port = address.port(); port <= address.portTo(); port++) {
                    ServerSocketChannel ch = ServerSocketChannel.open(host instanceof Inet6Address
                            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                    try {
                        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                        ch.bind(new InetSocketAddress(host, port), 64);
                        serverChannel = ch;
                        boundPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
                        return;
                    } catch (IOException e) {
                        ch.close();
                        last = e;
                    }
                }
                throw last;
            }
        } catch (IOException e) {
            // as QEMU names it: the socket's path, or host:port, without the listener's options
            String where = address.kind() == QmpAddress.Kind.UNIX ? address.path() : address.host() + ":" + address.port();
            throw new QomException("Failed to bind socket to " + where + ": " + reason(e));
        }
    }

    /** QEMU unlinks whatever is in the way; this only removes a stale socket, never a regular file. */
    private static void removeStaleSocket(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK) {
            Files.deleteIfExists(p);
            return;
        }
        throw new IOException(p + " exists and is not a socket");
    }

    private InetAddress resolve() throws UnknownHostException {
        for (InetAddress a : InetAddress.getAllByName(address.host())) {
            if (address.ipv4Only() && !(a instanceof Inet4Address)) continue;
            if (address.ipv6Only() && !(a instanceof Inet6Address)) continue;
            return a;
        }
        throw new UnknownHostException("no " + (address.ipv4Only() ? "IPv4 " : address.ipv6Only() ? "IPv6 " : "")
                + "address for host '" + address.host() + "'");
    }

    private void acceptLoop() {
        ServerSocketChannel ch = serverChannel;
        boolean starved = false;
        while (!closed) {
            SocketChannel c;
            try {
                c = ch.accept();
            } catch (IOException e) {
                if (closed || !ch.isOpen()) break;
                // out of file descriptors, say: that passes when clients go, so the listener waits and goes on
                if (!starved) LOG.warning("QMP listener '" + id + "' cannot accept a client for now: " + e.getMessage());
                starved = true;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    break;
                }
                continue;
            }
            starved = false;
            serve(c);
            firstClient.countDown();
        }
    }

    private SocketChannel connect() {
        try {
            SocketAddress target = address.kind() == QmpAddress.Kind.UNIX
                    ? UnixDomainSocketAddress.of(address.path()) : new InetSocketAddress(resolve(), address.port());
            return SocketChannel.open(target);
        } catch (IOException e) {
            throw new QomException("Failed to connect to '" + address.describe(-1) + "': " + reason(e));
        }
    }

    /** server=off: one session at a time on an outgoing connection, re-dialled if reconnect is set. */
    private void connectLoop(SocketChannel first) {
        SocketChannel ch = first;
        while (!closed) {
            if (ch != null) {
                QmpConnection c = session(ch);
                if (c != null) c.run();   // on this thread: the connector is the session's reader
            }
            ch = null;
            if (closed || address.reconnectSeconds() <= 0) break;
            try {
                Thread.sleep(address.reconnectSeconds() * 1000L);
            } catch (InterruptedException e) {
                break;
            }
            try {
                if (!closed) ch = connect();
            } catch (QomException e) {
                LOG.fine(e.getMessage());
            }
        }
    }

    private void serve(SocketChannel ch) {
        QmpConnection c = session(ch);
        if (c != null) server.threads().start(c.name(), c::run);
    }

    private QmpConnection session(SocketChannel ch) {
        try {
            if (address.kind() == QmpAddress.Kind.TCP) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException ignored) {
            // not fatal
        }
        String n = sessionPrefix + (address.kind() == QmpAddress.Kind.TCP ? String.valueOf(boundPort >= 0 ? boundPort : address.port()) : "")
                + " #" + sessions.incrementAndGet();
        QmpConnection c = new QmpConnection(this, ch, n);
        clients.add(c);
        if (closed) {
            c.close();
            return null;
        }
        return c;
    }

    void removed(QmpConnection c) { clients.remove(c); }

    /** Closes the endpoint and every session on it; idempotent. */
    void close() {
        if (closed) return;
        closed = true;
        ServerSocketChannel ch = serverChannel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        Path f = socketFile;
        if (f != null) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warning("could not remove QMP socket " + f + ": " + e);
            }
        }
        for (QmpConnection c : List.copyOf(clients)) c.close();
        firstClient.countDown();
        Thread w = worker;
        if (w != null && !address.server() && w != Thread.currentThread()) w.interrupt();
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
