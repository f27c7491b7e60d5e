package org.orrery.gdbstub.internal;

import org.orrery.qom.QomException;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Where the stub listens, written as QEMU's -gdb takes it: {@code tcp::1234}, {@code tcp:HOST:PORT},
 * {@code unix:PATH,server=on} or a bare port number. An empty host means the loopback interface (QEMU
 * would listen on every interface; ask for {@code tcp:0.0.0.0:PORT} to get that).
 */
record GdbDevice(String spec, String host, int port, Path unixPath) {
    private static final Set<String> TCP_OPTIONS = Set.of("server", "wait", "nodelay", "ipv4", "ipv6", "reconnect");
    private static final Set<String> UNIX_OPTIONS = Set.of("server", "wait");

    static GdbDevice parse(String spec) {
        String s = spec.trim();
        if (s.matches("[0-9]+")) return new GdbDevice(spec, null, port(spec, s), null);
        String[] parts = s.split(",");
        String main = parts[0];
        if (main.startsWith("tcp:")) {
            options(spec, parts, TCP_OPTIONS);
            String rest = main.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon < 0) throw bad(spec, "a port is missing");
            String host = rest.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            return new GdbDevice(spec, host.isEmpty() ? null : host, port(spec, rest.substring(colon + 1)), null);
        }
        if (main.startsWith("unix:")) {
            options(spec, parts, UNIX_OPTIONS);
            String path = main.substring(5);
            if (path.isEmpty()) throw bad(spec, "a socket path is missing");
            return new GdbDevice(spec, null, -1, Path.of(path));
        }
        throw bad(spec, "use tcp:[HOST]:PORT, unix:PATH,server=on or 'none'");
    }

    SocketAddress address() {
        if (unixPath != null) return UnixDomainSocketAddress.of(unixPath);
        try {
            InetAddress a = host == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new InetSocketAddress(a, port);
        } catch (UnknownHostException e) {
            throw new QomException("gdbstub: unknown host '" + host + "' in '" + spec + "'");
        }
    }

    private static void options(String spec, String[] parts, Set<String> allowed) {
        for (int i = 1; i < parts.length; i++) {
            String key = parts[i].contains("=") ? parts[i].substring(0, parts[i].indexOf('=')) : parts[i];
            if (!allowed.contains(key)) throw bad(spec, "option '" + key + "' is not supported");
            if (key.equals("server") && parts[i].matches("server=(off|false|no)"))
                throw bad(spec, "the gdb stub is always a server");
        }
    }

    private static int port(String spec, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p < 0 || p > 65535) throw bad(spec, "port " + text + " is out of range");
            return p;
        } catch (NumberFormatException e) {
            throw bad(spec, "'" + text + "' is not a port number");
        }
    }

    private static QomException bad(String spec, String why) {
        return new QomException("gdbstub: invalid device '" + spec + "': " + why);
    }
}
