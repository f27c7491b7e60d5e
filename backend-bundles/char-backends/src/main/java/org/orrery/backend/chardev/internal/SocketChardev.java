package org.orrery.backend.chardev.internal;

import org.orrery.machine.backend.CharFrontEnd.CharEvent;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code chardev-socket}: a stream socket, unix ({@code path}) or TCP ({@code host}/{@code port}), as server or
 * client. A server serves one connection at a time, as QEMU does: further clients wait in the listen backlog
 * until the current one leaves. A client with {@code reconnect} set retries every that many seconds after a
 * failed connect or a lost connection. Output while no peer is connected is dropped, as in QEMU.
 */
final class SocketChardev extends QueuedChardev {
    static final Property<String> PATH = Property.of("path", PropertyTypes.STR).description("unix socket path");
    static final Property<String> HOST = Property.of("host", PropertyTypes.STR).description("TCP host name or address");
    static final Property<String> PORT = Property.of("port", PropertyTypes.STR).description("TCP port (0: any free port, for servers)");
    static final Property<Boolean> SERVER = Property.of("server", PropertyTypes.BOOL).defaultValue(false)
            .description("listen for a connection instead of connecting");
    static final Property<Boolean> WAIT = Property.of("wait", PropertyTypes.BOOL).defaultValue(true)
            .description("servers: wait for the first client before the chardev is complete");
    static final Property<Long> RECONNECT = Property.of("reconnect", PropertyTypes.UINT32).defaultValue(0L)
            .description("clients: seconds between attempts to reconnect after a failure (0: never)");
    static final Property<Boolean> TELNET = Property.of("telnet", PropertyTypes.BOOL).defaultValue(false)
            .description("speak the telnet protocol (negotiate character mode, strip telnet commands)");
    static final Property<Boolean> NODELAY = Property.of("nodelay", PropertyTypes.BOOL).defaultValue(false)
            .description("set TCP_NODELAY");

    private static final byte IAC = (byte) 255;

    private ServerSocketChannel listener;
    private volatile SocketChannel conn;
    private volatile String peer;
    private SocketAddress address;
    private final Object sleeper = new Object();

    private boolean isUnix() { return get(PATH) != null; }

    @Override protected void open() {
        boolean server = get(SERVER);
        if (get(PATH) != null && (get(HOST) != null || get(PORT) != null))
            throw new QomException("chardev socket: give either 'path' or 'host'/'port', not both");
        if (get(PATH) == null && get(PORT) == null)
            throw new QomException("chardev: socket: no host given");
        if (get(RECONNECT) > 0 && server) throw new QomException("'reconnect' option is incompatible with 'server'");
        if (get(PATH) != null) address = UnixDomainSocketAddress.of(get(PATH));
        else {
            int port;
            try {
                port = Integer.parseInt(get(PORT));
            } catch (NumberFormatException e) {
                throw new QomException("chardev socket: port '" + get(PORT) + "' is not a number");
            }
            if (port < 0 || port > 65535) throw new QomException("chardev socket: port " + port + " is out of range");
            String host = get(HOST);
            if (host == null || host.isEmpty()) host = server ? "0.0.0.0" : "localhost";
            address = new InetSocketAddress(host, port);
            if (((InetSocketAddress) address).isUnresolved()) throw new QomException("address resolution failed for " + host + ":" + port);
        }
        startWriter();
        if (server) openServer();
        else openClient();
    }

    private void openServer() {
        try {
            if (isUnix()) {
                Path p = Path.of(get(PATH));
                if (Files.exists(p) && !Files.isRegularFile(p) && !Files.isDirectory(p)) Files.delete(p); // a stale socket
                listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            } else {
                listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            listener.bind(address, 1);
            if (!isUnix()) address = listener.getLocalAddress();
        } catch (IOException e) {
            closeQuietly();
            throw new QomException("Failed to bind socket to " + describeAddress() + ": " + Errors.reason(e));
        }
        if (get(WAIT)) {
            System.err.println("QEMU waiting for connection on: " + filename());
            try {
                SocketChannel first = listener.accept();
                connected(first);
            } catch (IOException e) {
                throw new QomException("chardev '" + name() + "': accept failed: " + Errors.reason(e));
            }
        }
        startThread("io", () -> {
            while (!closing) {
                SocketChannel c = conn;
                if (c == null) {
                    try {
                        c = listener.accept();
                    } catch (IOException e) {
                        return; // closed
                    }
                    connected(c);
                }
                serve(c);
            }
        });
    }

    private void openClient() {
        long reconnect = get(RECONNECT);
        SocketChannel first = null;
        try {
            first = connect();
        } catch (IOException e) {
            if (reconnect == 0) throw new QomException("Failed to connect to '" + describeAddress() + "': " + Errors.reason(e));
        }
        if (first != null) connected(first);
        startThread("io", () -> {
            while (!closing) {
                SocketChannel c = conn;
                if (c != null) {
                    serve(c);
                    if (reconnect == 0) return;
                }
                if (!pause(reconnect * 1000)) return;
                try {
                    connected(connect());
                } catch (IOException e) {
                    // retry after the next pause
                }
            }
        });
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(isUnix() ? StandardProtocolFamily.UNIX
                : ((InetSocketAddress) address).getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            c.connect(address);
            return c;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /** Waits {@code millis} or until the chardev closes; false when closing. */
    private boolean pause(long millis) {
        synchronized (sleeper) {
            long end = System.currentTimeMillis() + millis;
            while (!closing) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) return true;
                try {
                    sleeper.wait(left);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return false;
        }
    }

    private void connected(SocketChannel c) {
        try {
            if (!isUnix()) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, get(NODELAY));
                InetSocketAddress r = (InetSocketAddress) c.getRemoteAddress();
                peer = r.getAddress().getHostAddress() + ":" + r.getPort();
            }
            if (get(TELNET)) {
                // character mode: we echo, no go-ahead, binary both ways
                c.write(ByteBuffer.wrap(new byte[] {IAC, (byte) 251, 1, IAC, (byte) 251, 3, IAC, (byte) 251, 0, IAC, (byte) 253, 0}));
            }
        } catch (IOException e) {
            // the peer left already; serve() notices
        }
        outputQueue().clear();
        conn = c;
        event(CharEvent.OPENED);
    }

    /** Reads from the connection until it ends, then reports CLOSED. */
    private void serve(SocketChannel c) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        TelnetFilter telnet = get(TELNET) ? new TelnetFilter() : null;
        try {
            while (!closing) {
                buf.clear();
                int n = c.read(buf);
                if (n < 0) break;
                if (telnet != null) {
                    n = telnet.filter(buf.array(), n, () -> event(CharEvent.BREAK));
                }
                if (n > 0 && !received(buf.array(), 0, n)) break;
            }
        } catch (IOException e) {
            // reset by peer, or closed by us
        }
        disconnected(c);
    }

    private void disconnected(SocketChannel c) {
        if (conn != c) return;
        conn = null;
        peer = null;
        try { c.close(); } catch (IOException ignored) { }
        ByteQueue q = outputQueue();
        if (q != null) q.clear();
        if (!closing) event(CharEvent.CLOSED);
    }

    @Override protected void sink(byte[] data, int offset, int length) throws IOException {
        SocketChannel c = conn;
        if (c == null) return; // nobody to read it: dropped, as in QEMU
        ByteBuffer b = ByteBuffer.wrap(data, offset, length);
        if (get(TELNET)) b = TelnetFilter.escape(b);
        while (b.hasRemaining()) c.write(b);
    }

    @Override protected void sinkFailed(IOException e) {
        SocketChannel c = conn;
        if (c != null) {
            try { c.shutdownInput(); } catch (IOException ignored) { } // the reader sees the end and reports it
        }
    }

    @Override protected int output(byte[] data, int offset, int length) {
        if (conn == null) return length;
        return super.output(data, offset, length);
    }

    @Override public boolean isConnected() { return conn != null; }

    @Override protected void close() {
        super.close();
        synchronized (sleeper) { sleeper.notifyAll(); }
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            if (listener != null) listener.close();
        } catch (IOException ignored) { }
        SocketChannel c = conn;
        try {
            if (c != null) c.close();
        } catch (IOException ignored) { }
    }

    @Override protected void onClosed() {
        conn = null;
        if (listener != null && isUnix()) {
            try { Files.deleteIfExists(Path.of(get(PATH))); } catch (IOException ignored) { }
        }
        listener = null;
    }

    private String describeAddress() {
        if (isUnix()) return get(PATH);
        InetSocketAddress a = (InetSocketAddress) address;
        return a == null ? get(HOST) + ":" + get(PORT) : a.getHostString() + ":" + a.getPort();
    }

    /** The port a TCP server listens on (the real one when port=0 was asked). */
    int localPort() { return address instanceof InetSocketAddress a ? a.getPort() : -1; }

    @Override String filename() {
        boolean server = get(SERVER);
        String proto = get(TELNET) ? "telnet" : isUnix() ? "unix" : "tcp";
        String where = isUnix() ? get(PATH) : describeAddress();
        String suffix = server ? ",server=on" : "";
        String p = peer;
        if (conn == null) return "disconnected:" + proto + ":" + where + suffix;
        if (isUnix()) return proto + ":" + where + suffix;
        return proto + ":" + where + suffix + " <-> " + p;
    }

    /** Strips telnet commands from input (IAC IAC is a literal 255; IAC BREAK is a break) and escapes output. */
    static final class TelnetFilter {
        private int state; // 0 data, 1 after IAC, 2 after IAC WILL/WONT/DO/DONT, 3 in subnegotiation, 4 IAC in subnegotiation

        int filter(byte[] b, int n, Runnable onBreak) {
            int out = 0;
            for (int i = 0; i < n; i++) {
                int c = b[i] & 0xff;
                switch (state) {
                    case 0 -> { if (c == 255) state = 1; else b[out++] = (byte) c; }
                    case 1 -> {
                        if (c == 255) { b[out++] = (byte) 255; state = 0; }
                        else if (c >= 251 && c <= 254) state = 2;
                        else if (c == 250) state = 3;
                        else { if (c == 243) onBreak.run(); state = 0; }
                    }
                    case 2 -> state = 0;
                    case 3 -> { if (c == 255) state = 4; }
                    case 4 -> state = c == 240 ? 0 : 3;
                    default -> state = 0;
                }
            }
            return out;
        }

        static ByteBuffer escape(ByteBuffer in) {
            int extra = 0;
            for (int i = in.position(); i < in.limit(); i++) if (in.get(i) == IAC) extra++;
            if (extra == 0) return in;
            ByteBuffer out = ByteBuffer.allocate(in.remaining() + extra);
            while (in.hasRemaining()) {
                byte c = in.get();
                out.put(c);
                if (c == IAC) out.put(IAC);
            }
            return out.flip();
        }
    }
}
