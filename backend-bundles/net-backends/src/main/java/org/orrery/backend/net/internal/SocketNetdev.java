package org.orrery.backend.net.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Netdevs that carry the guest's Ethernet frames to another emulator (Orrery or QEMU) over a host socket,
 * as QEMU's do: {@code stream} (and {@code socket,listen=/connect=}) over TCP or a unix socket, each frame
 * preceded by its length as a 4-byte big-endian number; {@code dgram} (and {@code socket,udp=}) one frame per
 * UDP datagram. A stream server takes one peer at a time. Reading and writing run on two threads of the
 * netdev's own; frames for the peer wait in a bounded queue (dropped when it is full, as a wire drops them).
 */
final class SocketNetdev extends Netdev {
    private static final Logger LOG = Logger.getLogger(SocketNetdev.class.getName());
    static final int MAX_FRAME = 65536 + 18;
    static final int QUEUE = 1024;

    // socket
    static final Property<String> LISTEN = Property.of("listen", PropertyTypes.STR).description("socket: [HOST]:PORT to listen on");
    static final Property<String> CONNECT = Property.of("connect", PropertyTypes.STR).description("socket: HOST:PORT to connect to");
    static final Property<String> UDP = Property.of("udp", PropertyTypes.STR).description("socket: HOST:PORT to send datagrams to");
    static final Property<String> LOCALADDR = Property.of("localaddr", PropertyTypes.STR).description("socket,udp=: [HOST]:PORT to receive on");
    // stream, dgram
    static final Property<Boolean> SERVER = Property.of("server", PropertyTypes.BOOL).defaultValue(false).description("stream: listen instead of connecting");
    static final Property<JsonNode> ADDR = Property.of("addr", PropertyTypes.ANY)
            .description("stream: {type: inet, host, port} or {type: unix, path}");
    static final Property<JsonNode> LOCAL = Property.of("local", PropertyTypes.ANY).description("dgram: {type: inet, host, port} to receive on");
    static final Property<JsonNode> REMOTE = Property.of("remote", PropertyTypes.ANY).description("dgram: {type: inet, host, port} to send to");

    private final String kind;
    private final BlockingQueue<byte[]> toPeer = new ArrayBlockingQueue<>(QUEUE);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closing;
    private volatile ByteChannel peer;
    private ServerSocketChannel server;
    private DatagramChannel datagrams;
    private String description = "";

    SocketNetdev(String kind) { this.kind = kind; }

    @Override String kind() { return kind; }

    @Override String info() { return "index=0,type=" + kind + "," + description; }

    @Override protected void onRealize() {
        closing = false;
        try {
            switch (kind) {
                case "socket" -> {
                    if (isSet(LISTEN)) listen(inet(get(LISTEN), true));
                    else if (isSet(CONNECT)) connect(inet(get(CONNECT), false));
                    else if (isSet(UDP)) datagram(isSet(LOCALADDR) ? inet(get(LOCALADDR), true) : new InetSocketAddress(0), inet(get(UDP), false));
                    else throw new QomException("netdev socket: give listen=, connect= or udp= (mcast= is not supported)");
                }
                case "stream" -> {
                    if (!isSet(ADDR)) throw new QomException("Parameter 'addr' is missing");
                    SocketAddress a = address(get(ADDR), "addr", get(SERVER));
                    if (get(SERVER)) listen(a);
                    else connect(a);
                }
                case "dgram" -> {
                    if (!isSet(REMOTE) || !isSet(LOCAL)) throw new QomException("netdev dgram: give local and remote (inet) addresses");
                    datagram(address(get(LOCAL), "local", true), address(get(REMOTE), "remote", false));
                }
                default -> throw new QomException("unknown netdev kind " + kind);
            }
        } catch (IOException e) {
            stop();
            throw new QomException("netdev " + kind + ": " + e.getMessage());
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Override protected void onUnrealize() { stop(); }

    @Override protected void onFinalize() { stop(); }

    private static InetSocketAddress inet(String hostPort, boolean local) {
        int c = hostPort.lastIndexOf(':');
        if (c < 0) throw new QomException("'" + hostPort + "' is not HOST:PORT");
        String host = hostPort.substring(0, c);
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(c + 1));
        } catch (NumberFormatException e) {
            throw new QomException("'" + hostPort + "': the port is not a number");
        }
        if (port < 0 || port > 65535) throw new QomException("'" + hostPort + "': port out of range");
        if (host.isEmpty()) return local ? new InetSocketAddress(port) : new InetSocketAddress("127.0.0.1", port);
        return new InetSocketAddress(host, port);
    }

    /** QEMU's SocketAddress: {type: inet, host, port} or {type: unix, path}; values may be text (command line). */
    private static SocketAddress address(JsonNode a, String name, boolean local) {
        if (a == null || !a.isObject()) throw new QomException("Parameter '" + name + "' expects {type, host, port} or {type, path}");
        String type = a.path("type").asText("inet");
        return switch (type) {
            case "inet" -> {
                if (!a.has("port")) throw new QomException("Parameter '" + name + ".port' is missing");
                yield inet(a.path("host").asText("") + ":" + a.path("port").asText(), local);
            }
            case "unix" -> {
                if (!a.has("path")) throw new QomException("Parameter '" + name + ".path' is missing");
                yield UnixDomainSocketAddress.of(Path.of(a.path("path").asText()));
            }
            default -> throw new QomException("Parameter '" + name + ".type' does not accept value '" + type + "'");
        };
    }

    private void listen(SocketAddress a) throws IOException {
        server = a instanceof UnixDomainSocketAddress ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        if (!(a instanceof UnixDomainSocketAddress)) server.socket().setReuseAddress(true);
        server.bind(a);
        description = "listening on " + server.getLocalAddress();
        thread("accept", () -> {
            while (!closing) {
                try (SocketChannel c = server.accept()) {
                    description = "connection from " + c.getRemoteAddress();
                    serve(c);
                } catch (IOException e) {
                    if (!closing) LOG.fine("netdev " + name() + ": " + e);
                }
            }
        });
        thread("write", this::writeStream);
    }

    private void connect(SocketAddress a) throws IOException {
        SocketChannel c = a instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            c.connect(a);
        } catch (IOException e) {
            c.close();
            throw new IOException("cannot connect to " + a + ": " + e.getMessage(), e);
        }
        description = "connected to " + a;
        thread("read", () -> {
            try (c) {
                serve(c);
            } catch (IOException e) {
                if (!closing) LOG.fine("netdev " + name() + ": " + e);
            }
        });
        thread("write", this::writeStream);
    }

    /** Reads length-prefixed frames from a stream peer until it goes. */
    private void serve(SocketChannel c) throws IOException {
        peer = c;
        try {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (!closing) {
                len.clear();
                if (!readFully(c, len)) return;
                int n = len.getInt(0);
                if (n <= 0 || n > MAX_FRAME) throw new IOException("the peer sent a frame of " + n + " bytes");
                ByteBuffer frame = ByteBuffer.allocate(n);
                if (!readFully(c, frame)) return;
                fromPeer(frame.array());
            }
        } finally {
            peer = null;
        }
    }

    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (c.read(b) < 0) return false;
        return true;
    }

    private void writeStream() {
        while (!closing) {
            byte[] f;
            try {
                f = toPeer.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            ByteChannel p = peer;
            if (f == null || p == null) continue;
            ByteBuffer out = ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).flip();
            try {
                while (out.hasRemaining()) p.write(out);
            } catch (IOException e) {
                try {
                    p.close(); // the reader sees the end and a server waits for the next peer
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    private void datagram(SocketAddress local, SocketAddress remote) throws IOException {
        datagrams = DatagramChannel.open();
        datagrams.bind(local);
        description = "udp " + datagrams.getLocalAddress() + " <-> " + remote;
        thread("read", () -> {
            ByteBuffer b = ByteBuffer.allocate(MAX_FRAME);
            while (!closing) {
                try {
                    b.clear();
                    datagrams.receive(b);
                    if (b.position() > 0) fromPeer(java.util.Arrays.copyOf(b.array(), b.position()));
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    if (!closing) LOG.fine("netdev " + name() + ": " + e);
                }
            }
        });
        thread("write", () -> {
            while (!closing) {
                try {
                    byte[] f = toPeer.poll(100, TimeUnit.MILLISECONDS);
                    if (f != null) datagrams.send(ByteBuffer.wrap(f), remote);
                } catch (InterruptedException | ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    if (!closing) LOG.fine("netdev " + name() + ": " + e); // a refused datagram is a lost frame
                }
            }
        });
    }

    private void fromPeer(byte[] frame) {
        if (frame.length >= 14) deliver(frame);
    }

    private void thread(String role, Runnable body) {
        Thread t = Thread.ofPlatform().daemon(true).name("netdev-" + name() + "-" + role).start(body);
        synchronized (threads) { threads.add(t); }
    }

    private void stop() {
        closing = true;
        close(server);
        close(datagrams);
        close(peer);
        List<Thread> ts;
        synchronized (threads) {
            ts = new ArrayList<>(threads);
            threads.clear();
        }
        for (Thread t : ts) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        toPeer.clear();
    }

    private static void close(java.nio.channels.Channel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing to stop: nothing to keep
        }
    }

    @Override void fromGuest(byte[] frame, int offset, int length) {
        toPeer.offer(java.util.Arrays.copyOfRange(frame, offset, offset + length)); // a full queue drops, as a busy wire
    }

    @Override void roomAgain() { }
}
