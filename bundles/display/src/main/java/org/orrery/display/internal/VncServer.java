package org.orrery.display.internal;

import org.orrery.machine.display.Console;
import org.orrery.machine.display.ConsoleListener;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The VNC server of one machine: a listening socket, and per client a {@link VncClient}. It shows the machine's first
 * console (following it when display devices come and go) and sends input to its input devices, both through the
 * console layer. At most {@value #MAX_CLIENTS} clients at once; more are closed at once.
 */
final class VncServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VncServer.class.getName());
    static final int MAX_CLIENTS = 16;

    private final VncAddress address;
    private final Consoles consoles;
    private final String desktopName;
    private final ServerSocketChannel listener;
    private final List<VncClient> clients = new CopyOnWriteArrayList<>();
    private final Runnable consolesChanged = this::follow;
    private final ConsoleListener relay = new ConsoleListener() {
        @Override public void surfaceChanged(Console c, Surface s) { for (VncClient v : clients) v.resized(); }

        @Override public void updated(Console c, int x, int y, int w, int h) { for (VncClient v : clients) v.damaged(x, y, w, h); }
    };
    private volatile Console console;
    /** A black screen for when no display device is there. */
    private final Surface blank = new Surface(Console.BLANK_WIDTH, Console.BLANK_HEIGHT);
    private volatile String password;
    private volatile boolean open = true;

    VncServer(VncAddress address, Consoles consoles, String desktopName) {
        this.address = address;
        this.consoles = consoles;
        this.desktopName = desktopName;
        try {
            if (address.unixPath() != null) {
                Files.deleteIfExists(address.unixPath());   // a stale socket file, as QEMU removes it
                listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            } else {
                listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            listener.bind(address.address(), 16);
        } catch (IOException e) {
            throw new QomException("Failed to start VNC server: " + address.spec() + ": " + e.getMessage());
        }
        consoles.watch(consolesChanged);
        follow();
        Thread.ofVirtual().name("vnc-listen " + address.spec()).start(this::acceptLoop);
    }

    VncAddress address() { return address; }

    String desktopName() { return desktopName; }

    List<VncClient> clients() { return List.copyOf(clients); }

    /** What the clients see now. */
    Surface surface() {
        Console c = console;
        return c == null ? blank : c.surface();
    }

    Consoles consoles() { return consoles; }

    boolean passwordRequired() { return address.password(); }

    String password() { return password; }

    void setPassword(String p) { password = p; }

    /** Shows the first console; called when consoles come or go. */
    private synchronized void follow() {
        Console next = consoles.primary().orElse(null);
        if (next == console) return;
        if (console != null) console.removeListener(relay);
        console = next;
        if (next != null) next.addListener(relay);
        for (VncClient v : clients) v.resized();
    }

    /** The TCP port bound, or -1 on a unix socket. */
    int localPort() {
        try {
            return listener.getLocalAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private void acceptLoop() {
        while (open) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                if (open) LOG.log(Level.WARNING, "vnc: accept failed on " + address.spec() + ": " + e.getMessage());
                return;
            }
            if (clients.size() >= MAX_CLIENTS) {
                try { ch.close(); } catch (IOException ignored) { }
                continue;
            }
            VncClient c = new VncClient(this, ch);
            clients.add(c);
            c.start();
        }
    }

    void gone(VncClient c) { clients.remove(c); }

    @Override public void close() {
        open = false;
        consoles.unwatch(consolesChanged);
        synchronized (this) {
            if (console != null) console.removeListener(relay);
            console = null;
        }
        try { listener.close(); } catch (IOException ignored) { }
        for (VncClient c : clients) c.close();
        if (address.unixPath() != null) {
            try { Files.deleteIfExists(address.unixPath()); } catch (IOException ignored) { }
        }
    }
}
