package org.orrery.guests.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A QMP client on a unix socket, as a management tool drives a guest: greeting, capabilities, commands; events skipped. */
final class QmpSocket implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private QmpSocket(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        next();   // the greeting
        execute("qmp_capabilities", null);
    }

    /** Connects once the emulator has made its socket (it listens with wait=off). */
    static QmpSocket connect(Path socket, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return new QmpSocket(ch);
                } catch (IOException e) {
                    ch.close();
                }
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no QMP socket at " + socket + " within " + limit);
            Thread.sleep(100);
        }
    }

    private JsonNode next() throws IOException {
        String line = in.readLine();
        if (line == null) throw new IOException("the QMP connection closed");
        return JSON.readTree(line);
    }

    /** The command's "return"; an "error" answer fails the test with its description. */
    JsonNode execute(String command, ObjectNode arguments) throws IOException {
        ObjectNode msg = JSON.createObjectNode().put("execute", command);
        if (arguments != null) msg.set("arguments", arguments);
        out.write((msg + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            JsonNode m = next();
            if (m.has("event")) continue;
            if (m.has("error")) throw new AssertionError(command + " failed: " + m.get("error"));
            return m.get("return");
        }
    }

    static ObjectNode args() { return JSON.createObjectNode(); }

    /** Polls query-status until it reports {@code status}. */
    void awaitStatus(String status, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        String now;
        while (!(now = execute("query-status", null).path("status").asText()).equals(status)) {
            if (System.nanoTime() > deadline) throw new AssertionError("status '" + now + "' after " + limit + ", expected '" + status + "'");
            Thread.sleep(100);
        }
    }

    /** Polls query-migrate until the migration ends; returns its final answer. */
    JsonNode awaitMigration(Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            JsonNode m = execute("query-migrate", null);
            String s = m.path("status").asText();
            if (s.equals("completed") || s.equals("failed") || s.equals("cancelled")) return m;
            if (System.nanoTime() > deadline) throw new AssertionError("migration still '" + s + "' after " + limit);
            Thread.sleep(100);
        }
    }

    @Override public void close() throws IOException { channel.close(); }
}
