package org.orrery.itest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A minimal QMP client over a unix socket, as any QEMU client speaks it: replies in order, events aside. */
final class QmpSocket implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final SocketChannel channel;
    private final OutputStream out;
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    final JsonNode greeting;

    private QmpSocket(SocketChannel channel) throws IOException, InterruptedException {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode m = JSON.readTree(line);
                    if (m.has("event")) events.add(m); else replies.add(m);
                }
            } catch (IOException closed) {
                // the process or the test closed the socket
            }
        }, "qmp-reader");
        reader.setDaemon(true);
        reader.start();
        greeting = next(Duration.ofSeconds(30));
    }

    /** Connects once the socket exists (the process creates it while it starts). */
    static QmpSocket connect(Path socket, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (Files.exists(socket)) return new QmpSocket(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) throw notYet;
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no QMP socket at " + socket + " after " + timeout);
            Thread.sleep(20);
        }
    }

    JsonNode send(JsonNode message) throws IOException, InterruptedException {
        out.write((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return next(Duration.ofSeconds(30));
    }

    JsonNode execute(String command) throws IOException, InterruptedException {
        return send(JSON.createObjectNode().put("execute", command));
    }

    JsonNode execute(String command, ObjectNode arguments) throws IOException, InterruptedException {
        ObjectNode m = JSON.createObjectNode().put("execute", command);
        m.set("arguments", arguments);
        return send(m);
    }

    private JsonNode next(Duration timeout) throws InterruptedException {
        JsonNode m = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) throw new AssertionError("no QMP reply within " + timeout);
        return m;
    }

    /** Waits for (and consumes) an event whose members include {@code expected}'s. */
    JsonNode awaitEvent(JsonNode expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Iterator<JsonNode> it = events.iterator(); it.hasNext(); ) {
                JsonNode e = it.next();
                if (includes(e, expected)) {
                    events.remove(e);
                    return e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no event like " + expected + " within " + timeout + "; events: " + events);
    }

    /**
     * True when {@code actual} has everything {@code expected} has: objects member by member (extra members
     * allowed), arrays element by element (same length), scalars equal.
     */
    static boolean includes(JsonNode actual, JsonNode expected) {
        if (expected.isObject()) {
            if (!actual.isObject()) return false;
            for (var it = expected.fields(); it.hasNext(); ) {
                var f = it.next();
                if (!actual.has(f.getKey()) || !includes(actual.get(f.getKey()), f.getValue())) return false;
            }
            return true;
        }
        if (expected.isArray()) {
            if (!actual.isArray() || actual.size() != expected.size()) return false;
            for (int i = 0; i < expected.size(); i++) if (!includes(actual.get(i), expected.get(i))) return false;
            return true;
        }
        return expected.equals(actual);
    }

    @Override public void close() throws IOException {
        channel.close();
    }
}
