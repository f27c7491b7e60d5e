package org.orrery.dbus.internal;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;

/** A Java client (dbus-java's high-level API) calling QomGet("/machine", "type") sequentially: {@code JavaBenchClient ADDRESS NAME N}. */
public final class JavaBenchClient {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[2]);
        try (DBusConnection c = DBusConnectionBuilder.forAddress(args[0]).withShared(false).build()) {
            Machine1 m = c.getRemoteObject(args[1], "/org/orrery/Machine", Machine1.class);
            for (int i = 0; i < Math.min(n, 2000); i++) m.QomGet("/machine", "type"); // warm-up
            long t = System.nanoTime();
            for (int i = 0; i < n; i++) m.QomGet("/machine", "type");
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("%d calls in %.3f s: %.0f calls/s%n", n, s, n / s);
        }
    }
}
