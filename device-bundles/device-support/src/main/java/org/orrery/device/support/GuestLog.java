package org.orrery.device.support;

import java.util.HashSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs what a guest does wrong (accesses to undefined registers, invalid values) and what a device does
 * not implement, once per site, so a guest spinning on a bad register cannot flood the log. Messages go to
 * the loggers {@value #GUEST_ERRORS} and {@value #UNIMP} at INFO and carry the markers
 * {@code guest_errors} and {@code unimp} (what QEMU's {@code -d guest_errors,unimp} select).
 */
public final class GuestLog {
    /** Logger name for guest errors (QEMU's {@code -d guest_errors}). */
    public static final String GUEST_ERRORS = "orrery.guest_errors";
    /** Logger name for unimplemented functionality (QEMU's {@code -d unimp}). */
    public static final String UNIMP = "orrery.unimp";

    private static final Logger GUEST = Logger.getLogger(GUEST_ERRORS);
    private static final Logger UNIMPL = Logger.getLogger(UNIMP);

    private final String device;
    private final java.util.function.Supplier<org.orrery.machine.Machine> machine;
    private final Set<String> seen = new HashSet<>();

    /** {@code device} prefixes every message (a type name or a path). */
    public GuestLog(String device) { this(device, () -> null); }

    /** A log that goes to the machine's -d/-D log when the device belongs to a machine. */
    public GuestLog(String device, java.util.function.Supplier<org.orrery.machine.Machine> machine) {
        this.device = device;
        this.machine = machine;
    }

    /** The guest did something the device's specification does not allow; logged once per {@code site}. */
    public void guestError(String site, String message) {
        if (!seen.add("g:" + site)) return;
        if (toMachine(org.orrery.machine.LogCategory.GUEST_ERRORS, site, message)) return;
        if (GUEST.isLoggable(Level.FINE)) GUEST.fine("guest_errors: " + device + ": " + message);
    }

    /** The guest used something this model does not implement; logged once per {@code site}. */
    public void unimplemented(String site, String message) {
        if (!seen.add("u:" + site)) return;
        if (toMachine(org.orrery.machine.LogCategory.UNIMP, site, message)) return;
        if (UNIMPL.isLoggable(Level.FINE)) UNIMPL.fine("unimp: " + device + ": " + message);
    }

    private boolean toMachine(org.orrery.machine.LogCategory category, String site, String message) {
        try {
            org.orrery.machine.Machine m = machine.get();
            if (m == null) return false;
            m.logGuest(category, device + " " + site, message);
            return true;
        } catch (RuntimeException noMachine) {
            return false;
        }
    }

    /** How many distinct sites were logged so far. */
    public int sitesLogged() { return seen.size(); }
}
