package org.orrery.device.support;

import org.orrery.machine.device.SysBusDevice;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;

/**
 * A system-bus device at one base address with at most one platform interrupt: the common shape of the
 * virt board's devices. Declares {@code addr} and {@code irq} and gives subclasses a guest log.
 */
public abstract class MmioDevice extends SysBusDevice {
    public static final Property<Long> ADDR = Property.of("addr", PropertyTypes.UINT64).required()
            .description("base address of the registers in system memory");
    public static final Property<Long> IRQ = Property.of("irq", PropertyTypes.UINT32)
            .description("platform interrupt (PLIC source) the device drives");

    private GuestLog log;

    /** Guest-error and unimplemented-feature logging for this device (once per site). */
    protected final GuestLog log() {
        if (log == null) log = new GuestLog(type().name() + (path().isEmpty() ? "" : " " + path()),
                () -> tree().attachment(org.orrery.machine.Machine.class));
        return log;
    }

    public final long base() { return get(ADDR); }
}
