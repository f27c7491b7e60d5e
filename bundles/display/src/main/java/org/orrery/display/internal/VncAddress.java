package org.orrery.display.internal;

import org.orrery.qom.QomException;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * Where -vnc listens, parsed from QEMU's syntax: {@code :N} (TCP port 5900 + N on loopback), {@code HOST:N},
 * {@code unix:PATH}, followed by options ({@code password=on|off}; {@code share=} and {@code lossy=} are accepted).
 * Unlike QEMU, a display without a host listens on loopback only: nothing reaches the screen from elsewhere
 * unless asked for by name (0.0.0.0:N).
 */
record VncAddress(String spec, SocketAddress address, Path unixPath, boolean password) {
    static final int BASE_PORT = 5900;

    static VncAddress parse(String spec) {
        String[] parts = spec.split(",");
        String where = parts[0];
        boolean password = false;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            String v = kv.length > 1 ? kv[1] : "on";
            switch (kv[0]) {
                case "password" -> password = switch (v) {
                    case "on", "yes", "true" -> true;
                    case "off", "no", "false" -> false;
                    default -> throw new QomException("Parameter 'password' expects 'on' or 'off'");
                };
                case "share", "lossy", "non-adaptive", "to", "id" -> { }
                default -> throw new QomException("Invalid parameter '" + kv[0] + "'");
            }
        }
        if (where.startsWith("unix:")) {
            String path = where.substring(5);
            if (path.isEmpty()) throw new QomException("vnc: unix: needs a path");
            Path p = Path.of(path);
            return new VncAddress(spec, UnixDomainSocketAddress.of(p), p, password);
        }
        int colon = where.lastIndexOf(':');
        if (colon < 0) throw new QomException("vnc: display '" + where + "' is not HOST:N, :N or unix:PATH");
        String host = where.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int display;
        try {
            display = Integer.parseInt(where.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new QomException("vnc: display number '" + where.substring(colon + 1) + "' is not a number");
        }
        if (display < 0 || display > 65535 - BASE_PORT) throw new QomException("vnc: display number " + display + " out of range");
        String h = host.isEmpty() ? "127.0.0.1" : host;
        return new VncAddress(spec, new InetSocketAddress(h, BASE_PORT + display), null, password);
    }
}
