package org.orrery.qmp.server.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/** A bare-socket QMP peer: sends bytes, reads CR LF-terminated lines exactly as the server wrote them. */
final class RawQmp implements AutoCloseable {
    private final SocketChannel ch;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Deque<String> lines = new ArrayDeque<>();
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);

    private RawQmp(SocketChannel ch) { this.ch = ch; }

    static RawQmp unix(Path p) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(p));
        return new RawQmp(ch);
    }

    static RawQmp tcp(int port) throws IOException {
        return new RawQmp(SocketChannel.open(new InetSocketAddress("127.0.0.1", port)));
    }

    /** Connects, checks the greeting and negotiates. */
    static RawQmp negotiated(RawQmp q) throws IOException {
        q.line();
        q.send("{\"execute\":\"qmp_capabilities\"}\n");
        String r = q.line();
        if (!r.equals("{\"return\": {}}")) throw new IOException("negotiation failed: " + r);
        return q;
    }

    void send(String s) throws IOException { send(s.getBytes(StandardCharsets.UTF_8)); }

    void send(byte[] b) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) ch.write(bb);
    }

    /** The next line without its CR LF; fails after 10 s. */
    String line() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines.isEmpty()) {
            if (System.nanoTime() > deadline) throw new SocketTimeoutException("no line from the server");
            readSome();
        }
        return lines.poll();
    }

    /** A reply, skipping events. */
    String reply() throws IOException {
        while (true) {
            String l = line();
            if (!l.startsWith("{\"timestamp\"")) return l;
        }
    }

    String call(String json) throws IOException {
        send(json + "\n");
        return reply();
    }

    /** True when the server closed the connection (reads until EOF, at most 10 s). */
    boolean closedByServer() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                if (readSome() < 0) return true;
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }

    private int readSome() throws IOException {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
            if (lines.isEmpty()) throw new IOException("server closed the connection");
            return n;
        }
        for (int i = 0; i < n; i++) {
            byte b = buf.get(i);
            line.write(b);
            int len = line.size();
            if (b == '\n' && len >= 2) {
                byte[] all = line.toByteArray();
                if (all[len - 2] == '\r') {
                    lines.add(new String(all, 0, len - 2, StandardCharsets.UTF_8));
                    line.reset();
                }
            }
        }
        return n;
    }

    /** Everything the server writes until it has been quiet for {@code quietMs}. */
    String drain(long quietMs) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!lines.isEmpty()) sb.append(lines.poll()).append("\r\n");
        ch.configureBlocking(false);
        try {
            long last = System.nanoTime();
            while (System.nanoTime() - last < quietMs * 1_000_000) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) break;
                if (n > 0) {
                    sb.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
                    last = System.nanoTime();
                } else {
                    Thread.onSpinWait();
                    try { Thread.sleep(2); } catch (InterruptedException e) { break; }
                }
            }
        } finally {
            ch.configureBlocking(true);
        }
        sb.append(line.toString(StandardCharsets.UTF_8));
        line.reset();
        return sb.toString();
    }

    @Override public void close() throws IOException { ch.close(); }
}
