package org.orrery.machine;

/** Start-up behaviour that belongs to the machine runtime rather than to an object. */
public final class MachineOptions {
    private volatile boolean noReboot;
    private volatile boolean noShutdown;
    private volatile String guestName;
    private volatile boolean startPaused;
    private volatile java.util.Set<LogCategory> logCategories = java.util.Set.of();
    private volatile java.io.PrintStream logSink = System.err;
    private volatile org.orrery.machine.cpu.Acceleration acceleration = org.orrery.machine.cpu.Acceleration.DEFAULT;

    /** -accel: how harts created from now on execute guest code. */
    public org.orrery.machine.cpu.Acceleration acceleration() { return acceleration; }
    public void setAcceleration(org.orrery.machine.cpu.Acceleration v) { acceleration = java.util.Objects.requireNonNull(v); }

    /** -d: which categories of guest-caused events are logged. */
    public java.util.Set<LogCategory> logCategories() { return logCategories; }
    public void setLogCategories(java.util.Set<LogCategory> v) { logCategories = java.util.Set.copyOf(v); }

    /** -D: where the log goes (stderr by default). */
    public java.io.PrintStream logSink() { return logSink; }
    public void setLogSink(java.io.PrintStream v) { logSink = v; }

    /** -S: after the machine is built it waits in prelaunch for cont. */
    public boolean startPaused() { return startPaused; }
    public void setStartPaused(boolean v) { startPaused = v; }

    /** -no-reboot: a guest reset ends the machine instead of restarting it. */
    public boolean noReboot() { return noReboot; }
    public void setNoReboot(boolean v) { noReboot = v; }

    /** -no-shutdown: a guest poweroff stops the machine (state shutdown) instead of ending the process. */
    public boolean noShutdown() { return noShutdown; }
    public void setNoShutdown(boolean v) { noShutdown = v; }

    /** -name: the guest's name for query-name and window titles. */
    public String guestName() { return guestName; }
    public void setGuestName(String v) { guestName = v; }
}
