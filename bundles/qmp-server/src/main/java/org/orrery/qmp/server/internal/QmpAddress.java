package org.orrery.qmp.server.internal;

import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A QMP endpoint in QEMU's character-device socket syntax, as {@code -qmp}, {@code -qmp-pretty} and
 * {@code -chardev socket} take it:
 * <pre>
 * unix:PATH[,server=on|off][,wait=on|off][,reconnect=SECONDS]
 * tcp:[HOST]:PORT[,to=PORT][,server=on|off][,wait=on|off][,ipv4=on][,ipv6=on][,nodelay=on][,reconnect=SECONDS]
 * </pre>
 * As in QEMU, {@code server} defaults to off (connect out to a listening client) and {@code wait} to on
 * (a server waits for its first client before the command returns); the old flag spellings
 * {@code server}, {@code nowait}, {@code wait}, {@code nodelay} are accepted, and {@code ,,} is a literal
 * comma. Unlike QEMU an empty HOST means 127.0.0.1: a QMP socket is loopback-only unless a host is named.
 */
record QmpAddress(Kind kind, String path, String host, int port, int portTo, boolean server, boolean waitForClient,
                  boolean ipv4Only, boolean ipv6Only, int reconnectSeconds) {

    enum Kind { UNIX, TCP }

    static QmpAddress parse(String text) {
        if (text == null || text.isBlank()) throw bad(text, "it is empty");
        List<String> parts = splitOptions(text);
        String head = parts.get(0);
        Kind kind;
        String path = null;
        String host = null;
        int port = -1;
        if (head.startsWith("unix:")) {
            kind = Kind.UNIX;
            path = head.substring(5);
            if (path.isEmpty()) throw bad(text, "the socket path is missing");
        } else if (head.startsWith("tcp:")) {
            kind = Kind.TCP;
            String hp = head.substring(4);
            int colon = hp.lastIndexOf(':');
            if (colon < 0) throw bad(text, "the port is missing (tcp:[HOST]:PORT)");
            host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            if (host.isEmpty()) host = "127.0.0.1";
            port = parsePort(text, hp.substring(colon + 1), "port");
        } else {
            String scheme = head.contains(":") ? head.substring(0, head.indexOf(':')) : head;
            throw new QomException("Parameter 'address': QMP over '" + scheme + "' is not supported; use "
                    + "unix:PATH[,server=on|off][,wait=on|off] or tcp:[HOST]:PORT[,server=on|off][,wait=on|off]");
        }
        boolean server = false;
        boolean wait = true;
        boolean ipv4 = false;
        boolean ipv6 = false;
        int reconnect = 0;
        int to = port;
        for (String opt : parts.subList(1, parts.size())) {
            int eq = opt.indexOf('=');
            String key = eq < 0 ? opt : opt.substring(0, eq);
            String value = eq < 0 ? null : opt.substring(eq + 1);
            switch (key) {
                case "server" -> server = bool(key, value);
                case "wait" -> wait = bool(key, value);
                case "nowait" -> { flagOnly(key, value); wait = false; }
                case "noserver" -> { flagOnly(key, value); server = false; }
                case "nodelay" -> bool(key, value);   // Orrery always sets TCP_NODELAY
                case "ipv4" -> ipv4 = bool(key, value);
                case "ipv6" -> ipv6 = bool(key, value);
                case "reconnect" -> reconnect = parseInt(key, value, 0, 1 << 20);
                case "to" -> {
                    if (kind != Kind.TCP) throw new QomException("Invalid parameter 'to'");
                    to = parsePort(text, value, "to");
                }
                case "telnet", "tn3270", "websocket", "tls-creds", "tls-authz", "abstract", "tight", "mux", "logfile",
                     "logappend", "fd" -> throw new QomException("Parameter 'address': option '" + key + "' is not supported for QMP sockets");
                default -> throw new QomException("Invalid parameter '" + key + "'");
            }
        }
        if (kind == Kind.TCP && to < port) throw new QomException("Parameter 'to' must not be below the port");
        if (server && reconnect > 0) throw new QomException("'reconnect' option is incompatible with socket in server listen mode");
        return new QmpAddress(kind, path, host, port, to, server, server && wait, ipv4, ipv6, reconnect);
    }

    /** The canonical form, with the port actually bound when the request said 0. */
    String describe(int boundPort) {
        StringBuilder sb = new StringBuilder();
        if (kind == Kind.UNIX) sb.append("unix:").append(path.replace(",", ",,"));
        else sb.append("tcp:").append(host.contains(":") ? "[" + host + "]" : host).append(':').append(boundPort >= 0 ? boundPort : port);
        if (server) sb.append(",server=on,wait=").append(waitForClient ? "on" : "off");
        if (reconnectSeconds > 0) sb.append(",reconnect=").append(reconnectSeconds);
        return sb.toString();
    }

    private static List<String> splitOptions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                    continue;
                }
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static boolean bool(String key, String value) {
        if (value == null) return true;
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new QomException("Parameter '" + key + "' expects 'on' or 'off'");
        };
    }

    private static void flagOnly(String key, String value) {
        if (value != null) throw new QomException("Invalid parameter '" + key + "=" + value + "'");
    }

    private static int parsePort(String text, String value, String what) {
        int p = parseInt(what, value, 0, 65535);
        if (value.isEmpty()) throw bad(text, "the " + what + " is missing");
        return p;
    }

    private static int parseInt(String key, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value == null ? "" : value.trim());
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new QomException("Parameter '" + key + "' expects a number between " + min + " and " + max);
        }
    }

    private static QomException bad(String text, String why) {
        return new QomException("Parameter 'address': '" + text + "' is not a valid QMP address: " + why);
    }
}
