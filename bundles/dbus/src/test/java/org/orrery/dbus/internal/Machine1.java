package org.orrery.dbus.internal;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.Variant;

import java.util.Map;

/** The part of org.orrery.Machine1 the Java client uses, typed as dbus-java's high-level API wants it. */
@DBusInterfaceName("org.orrery.Machine1")
public interface Machine1 extends DBusInterface {
    Variant<?> QomGet(String path, String property);

    Map<String, Variant<?>> QueryStatus();

    void QomSet(String path, String property, Variant<?> value);
}
