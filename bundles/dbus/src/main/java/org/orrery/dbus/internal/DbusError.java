package org.orrery.dbus.internal;

/** A D-Bus error reply: its name and message. */
final class DbusError extends RuntimeException {
    private final String name;

    DbusError(String name, String message) {
        super(message, null, false, false);
        this.name = name;
    }

    String name() { return name; }

    static DbusError invalidArgs(String message) { return new DbusError("org.freedesktop.DBus.Error.InvalidArgs", message); }
    static DbusError unknownMethod(String message) { return new DbusError("org.freedesktop.DBus.Error.UnknownMethod", message); }
    static DbusError unknownObject(String message) { return new DbusError("org.freedesktop.DBus.Error.UnknownObject", message); }
    static DbusError unknownInterface(String message) { return new DbusError("org.freedesktop.DBus.Error.UnknownInterface", message); }
    static DbusError unknownProperty(String message) { return new DbusError("org.freedesktop.DBus.Error.UnknownProperty", message); }
    static DbusError readOnly(String message) { return new DbusError("org.freedesktop.DBus.Error.PropertyReadOnly", message); }
}
