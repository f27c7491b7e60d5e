package org.orrery.migration.internal;

import org.orrery.qom.QomException;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Where a machine's state goes or comes from, as QEMU's migration URIs name it: {@code exec:COMMAND} (a shell
 * command reading the stream on its stdin, or writing it on its stdout), {@code unix:PATH}, {@code tcp:HOST:PORT}
 * and {@code file:PATH}. The outgoing side connects; the incoming side binds at once (so a client can see the
 * socket) and accepts one sender.
 */
record MigrationUri(String scheme, String target, String text) {
    private static final long EXEC_EXIT_SECONDS = 120;

    static MigrationUri parse(String uri) {
        int colon = uri.indexOf(':');
        String scheme = colon < 0 ? uri : uri.substring(0, colon), rest = colon < 0 ? "" : uri.substring(colon + 1);
        switch (scheme) {
            case "exec", "unix", "file" -> {
                if (rest.isEmpty()) throw new QomException("Invalid migration URI '" + uri + "': '" + scheme + ":' needs a " + (scheme.equals("exec") ? "command" : "path"));
            }
            case "tcp" -> hostPort(uri, rest);
            default -> throw new QomException("Invalid migration URI '" + uri + "': use exec:COMMAND, unix:PATH, tcp:HOST:PORT or file:PATH");
        }
        return new MigrationUri(scheme, rest, uri);
    }

    private static InetSocketAddress hostPort(String uri, String rest) {
        int c = rest.lastIndexOf(':');
        if (c < 0) throw new QomException("Invalid migration URI '" + uri + "': tcp: needs HOST:PORT");
        String host = rest.substring(0, c);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(rest.substring(c + 1));
        } catch (NumberFormatException e) {
            throw new QomException("Invalid migration URI '" + uri + "': port '" + rest.substring(c + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) throw new QomException("Invalid migration URI '" + uri + "': port " + port + " is out of range");
        return host.isEmpty() || host.equals("0") ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    // ---- the outgoing side ----

    /** Connects to where the state goes; closing the stream waits for an exec: command to finish. */
    OutputStream connect() throws IOException {
        switch (scheme) {
            case "exec" -> {
                Process p = new ProcessBuilder("sh", "-c", target).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                return new FilterOutputStream(p.getOutputStream()) {
                    @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }

                    @Override public void close() throws IOException {
                        super.close();
                        waitFor(p);
                    }
                };
            }
            case "unix" -> {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(target));
                } catch (IOException e) {
                    ch.close();
                    throw new IOException("Failed to connect to '" + target + "': " + e.getMessage(), e);
                }
                return Channels.newOutputStream(ch);
            }
            case "tcp" -> {
                SocketChannel ch = SocketChannel.open();
                try {
                    ch.connect(hostPort(text, target));
                } catch (IOException e) {
                    ch.close();
                    throw new IOException("Failed to connect to '" + target + "': " + e.getMessage(), e);
                }
                return Channels.newOutputStream(ch);
            }
            default -> {
                return Files.newOutputStream(Path.of(target), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            }
        }
    }

    private void waitFor(Process p) throws IOException {
        try {
            if (!p.waitFor(EXEC_EXIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'" + target + "' did not finish within " + EXEC_EXIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while waiting for '" + target + "'");
        }
        if (p.exitValue() != 0) throw new IOException("'" + target + "' exited with status " + p.exitValue());
    }

    // ---- the incoming side ----

    /** A bound incoming side: {@link #accept} waits for the sender; {@link #close} gives up (migrate_cancel, quit). */
    interface Incoming extends AutoCloseable {
        InputStream accept() throws IOException;

        @Override void close();
    }

    Incoming listen() throws IOException {
        switch (scheme) {
            case "exec" -> {
                Process p = new ProcessBuilder("sh", "-c", target).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                return new Incoming() {
                    @Override public InputStream accept() {
                        return new FilterInputStream(p.getInputStream()) {
                            @Override public void close() throws IOException {
                                super.close();
                                waitFor(p);
                            }
                        };
                    }

                    @Override public void close() { p.destroy(); }
                };
            }
            case "unix", "tcp" -> {
                ServerSocketChannel server;
                Path socketPath = scheme.equals("unix") ? Path.of(target) : null;
                if (socketPath != null) {
                    if (Files.isRegularFile(socketPath)) throw new IOException("'" + target + "' is a file, not a socket");
                    Files.deleteIfExists(socketPath);   // a socket left by an earlier run, as QEMU unlinks it
                    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    server.bind(UnixDomainSocketAddress.of(socketPath), 1);
                } else {
                    server = ServerSocketChannel.open();
                    server.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                    server.bind(hostPort(text, target), 1);
                }
                return new Incoming() {
                    @Override public InputStream accept() throws IOException {
                        SocketChannel ch = server.accept();
                        close();
                        return Channels.newInputStream(ch);
                    }

                    @Override public void close() {
                        try {
                            server.close();
                            if (socketPath != null) Files.deleteIfExists(socketPath);
                        } catch (IOException ignored) {
                            // nothing more to give back
                        }
                    }
                };
            }
            default -> {
                Path file = Path.of(target);
                if (!Files.isReadable(file)) throw new IOException("cannot read '" + target + "'");
                return new Incoming() {
                    @Override public InputStream accept() throws IOException { return Files.newInputStream(file); }

                    @Override public void close() { }
                };
            }
        }
    }
}
