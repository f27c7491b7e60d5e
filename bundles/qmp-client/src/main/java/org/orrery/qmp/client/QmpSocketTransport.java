package org.orrery.qmp.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * QMP over a stream socket (unix or TCP): each message sent as one line of JSON; whatever the server
 * writes (compact or pretty) is read as a stream of JSON objects by a reader on a virtual thread.
 */
public final class QmpSocketTransport implements QmpTransport {
    private final ObjectMapper json = new ObjectMapper();
    private final SocketAddress address;
    private volatile SocketChannel channel;
    private volatile boolean closing;

    private QmpSocketTransport(SocketAddress address) { this.address = address; }

    public static QmpSocketTransport unix(Path socket) { return new QmpSocketTransport(UnixDomainSocketAddress.of(socket)); }

    public static QmpSocketTransport tcp(String host, int port) { return new QmpSocketTransport(new InetSocketAddress(host, port)); }

    @Override
    public void open(Inbound inbound) throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            ch.connect(address);
            if (!(address instanceof UnixDomainSocketAddress)) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        Thread.ofVirtual().name("qmp-client reader " + address).start(() -> read(ch, inbound));
    }

    private void read(SocketChannel ch, Inbound inbound) {
        Throwable cause = null;
        try (InputStream in = Channels.newInputStream(ch); JsonParser p = json.createParser(in)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                JsonNode n = json.readTree(p);
                if (n instanceof ObjectNode o) inbound.message(o);
            }
        } catch (IOException e) {
            if (!closing) cause = e;
        } finally {
            try {
                ch.close();
            } catch (IOException ignored) {
                // gone anyway
            }
            inbound.closed(cause);
        }
    }

    @Override
    public void send(ObjectNode message) throws IOException {
        SocketChannel ch = channel;
        if (ch == null) throw new IOException("not connected");
        byte[] body = json.writeValueAsBytes(message);
        ByteBuffer bb = ByteBuffer.allocate(body.length + 1).put(body).put((byte) '\n').flip();
        while (bb.hasRemaining()) ch.write(bb);
    }

    @Override
    public void close() {
        closing = true;
        SocketChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override public String toString() { return "QMP socket " + address; }
}
