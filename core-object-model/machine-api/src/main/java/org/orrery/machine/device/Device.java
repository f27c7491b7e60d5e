package org.orrery.machine.device;

import org.orrery.machine.Machine;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

/** The base of every device (type "device"): realized on its machine, reset with it. */
public abstract class Device extends QObject {
    public static final Property<Boolean> REALIZED = Property.of("realized", PropertyTypes.BOOL)
            .description("whether the device is realized (in use by the machine)").computed(QObject::isRealized);

    /** The machine this device belongs to. */
    protected final Machine machine() {
        Machine m = tree().attachment(Machine.class);
        if (m == null) throw new QomException(describe() + " is not part of a machine");
        return m;
    }

    /** Returns registers and internal state to their power-on values (system_reset). */
    public void reset() { }

    /** Whether a running guest can discover this device when it is plugged in (no bus here can). */
    public boolean isHotpluggable() { return false; }
}
