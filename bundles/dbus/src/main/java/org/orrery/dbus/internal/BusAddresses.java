package org.orrery.dbus.internal;

import org.orrery.qom.QomException;

/** The bus addresses {@code addr=} accepts: 'session', 'system', or a D-Bus address this transport speaks. */
final class BusAddresses {
    static final String SYSTEM_DEFAULT = "unix:path=/var/run/dbus/system_bus_socket";

    private BusAddresses() { }

    static String resolve(String addr) {
        String a = addr == null || addr.isBlank() ? "session" : addr.strip();
        if (a.equals("session")) {
            String env = System.getenv("DBUS_SESSION_BUS_ADDRESS");
            if (env == null || env.isBlank())
                throw new QomException("No session bus: DBUS_SESSION_BUS_ADDRESS is not set (give addr=ADDRESS or addr=system)");
            return firstUsable(env);
        }
        if (a.equals("system")) {
            String env = System.getenv("DBUS_SYSTEM_BUS_ADDRESS");
            return env == null || env.isBlank() ? SYSTEM_DEFAULT : firstUsable(env);
        }
        return firstUsable(a);
    }

    /** The first address of a ';'-separated list that uses a unix socket path (the JDK transport's kind). */
    private static String firstUsable(String list) {
        for (String a : list.split(";")) {
            String s = a.strip();
            if (s.startsWith("unix:") && (s.contains("path=") || s.contains("abstract="))) return s;
        }
        throw new QomException("Unsupported D-Bus address '" + list + "' (expected unix:path=..., 'session' or 'system')");
    }
}
