package org.orrery.dbus.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** How schema and object-model names become D-Bus names, and back. */
final class Names {
    static final String MACHINE_PATH = "/org/orrery/Machine";
    static final String OBJECTS_PATH = "/org/orrery/objects";
    static final String MACHINE_IFACE = "org.orrery.Machine1";
    static final String OBJECT_IFACE = "org.orrery.Object1";
    static final String ERROR_PREFIX = "org.orrery.Error.";

    static final String INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";
    static final String PEER = "org.freedesktop.DBus.Peer";
    static final String PROPERTIES = "org.freedesktop.DBus.Properties";
    static final String OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager";

    private static final Pattern BUS_NAME = Pattern.compile("[A-Za-z_-][A-Za-z0-9_-]*(\\.[A-Za-z_-][A-Za-z0-9_-]*)+");

    private Names() { }

    /** {@code query-status} → {@code QueryStatus}, {@code x-exit-preconfig} → {@code XExitPreconfig}, {@code STOP} → {@code Stop}. */
    static String camel(String name) {
        StringBuilder out = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '-' || c == '_') { upper = true; continue; }
            out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = false;
        }
        return out.toString();
    }

    /**
     * A D-Bus member name for a property: CamelCased on every character a member name cannot hold
     * ({@code ram-size} → {@code RamSize}); null when nothing is left.
     */
    static String propertyName(String qomName) {
        StringBuilder out = new StringBuilder(qomName.length());
        boolean upper = true;
        for (int i = 0; i < qomName.length(); i++) {
            char c = qomName.charAt(i);
            if (!(c < 128 && Character.isLetterOrDigit(c))) { upper = true; continue; }
            if (out.isEmpty() && Character.isDigit(c)) out.append('P');
            out.append(upper ? Character.toUpperCase(c) : c);
            upper = false;
        }
        return out.isEmpty() ? null : out.toString();
    }

    /** An argument name for introspection: schema member names with '-' become '_'. */
    static String argName(String member) { return member.replace('-', '_'); }

    /** One path element, every byte outside [A-Za-z0-9] as '_' and two lowercase hex digits (systemd's escaping). */
    static String escape(String element) {
        StringBuilder out = new StringBuilder();
        for (byte b : element.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.append((char) c);
            else out.append('_').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
        }
        return out.toString();
    }

    /** The inverse of {@link #escape}; null when {@code element} is not a valid escaped element. */
    static String unescape(String element) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < element.length(); i++) {
            char c = element.charAt(i);
            if (c == '_') {
                if (i + 2 >= element.length()) return null;
                int hi = Character.digit(element.charAt(i + 1), 16), lo = Character.digit(element.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return null;
                out.write(hi << 4 | lo);
                i += 2;
            } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                out.write(c);
            } else {
                return null;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The D-Bus object path of a canonical QOM path ("/" is {@link #OBJECTS_PATH} itself). */
    static String objectPath(String qomPath) {
        StringBuilder out = new StringBuilder(OBJECTS_PATH);
        for (String part : qomPath.split("/")) if (!part.isEmpty()) out.append('/').append(escape(part));
        return out.toString();
    }

    /** The canonical QOM path of a D-Bus object path under {@link #OBJECTS_PATH}, or null. */
    static String qomPath(String objectPath) {
        if (objectPath.equals(OBJECTS_PATH)) return "/";
        if (!objectPath.startsWith(OBJECTS_PATH + "/")) return null;
        StringBuilder out = new StringBuilder();
        for (String part : objectPath.substring(OBJECTS_PATH.length() + 1).split("/", -1)) {
            String u = part.isEmpty() ? null : unescape(part);
            if (u == null || !escape(u).equals(part)) return null;
            out.append('/').append(u);
        }
        return out.toString();
    }

    static boolean isValidBusName(String name) { return name != null && name.length() <= 255 && BUS_NAME.matcher(name).matches(); }
}
