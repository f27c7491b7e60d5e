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
    private volatile String rtcBase = "utc";
    private volatile RtcClock rtcClock = RtcClock.VM;

    private volatile InstructionCounting instructionCounting;

    /**
     * -icount: virtual time advances 2^shift ns per retired instruction; with {@code sleep} false, time
     * jumps to the next timer deadline when every hart waits for an interrupt, with it true, time runs at
     * the host's pace meanwhile.
     */
    public record InstructionCounting(int shift, boolean sleep) {
        public InstructionCounting {
            if (shift < 0 || shift > 10) throw new org.orrery.qom.QomException("icount: Invalid shift value");
        }
    }

    /** -icount, or null: virtual time follows the host's clock. */
    public InstructionCounting instructionCounting() { return instructionCounting; }
    /** Takes effect when the machine is built. */
    public void setInstructionCounting(InstructionCounting v) { instructionCounting = v; }

    /** -rtc clock=: what the real-time clock device counts with. */
    public enum RtcClock {
        /** the host's wall clock (QEMU's default): time passes while the machine is paused */
        HOST,
        /** the host's monotonic clock */
        RT,
        /** the machine's virtual clock: time stands still while the machine is paused (Orrery's default) */
        VM
    }

    /** -rtc base=: "utc", "localtime", or a start date as QEMU takes it (2006-06-17T16:01:21 or 2006-06-17, UTC). */
    public String rtcBase() { return rtcBase; }
    public void setRtcBase(String v) { rtcStartNanos(v); rtcBase = v; }

    public RtcClock rtcClock() { return rtcClock; }
    public void setRtcClock(RtcClock v) { rtcClock = java.util.Objects.requireNonNull(v); }

    /** The time an RTC starts from now, in nanoseconds since the epoch, for {@link #rtcBase()}. */
    public long rtcStartNanos() { return rtcStartNanos(rtcBase); }

    private static long rtcStartNanos(String base) {
        java.time.Instant now = java.time.Instant.now();
        long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        switch (base) {
            case "utc" -> { return nowNanos; }
            case "localtime" -> {
                // the host's local time shown as if it were UTC, as a PC's RTC keeps local time
                return nowNanos + java.time.ZoneId.systemDefault().getRules().getOffset(now).getTotalSeconds() * 1_000_000_000L;
            }
            default -> {
                try {
                    java.time.LocalDateTime t = base.contains("T") ? java.time.LocalDateTime.parse(base)
                            : java.time.LocalDate.parse(base).atStartOfDay();
                    return t.toEpochSecond(java.time.ZoneOffset.UTC) * 1_000_000_000L;
                } catch (java.time.format.DateTimeParseException e) {
                    throw new org.orrery.qom.QomException("invalid datetime format (valid formats: '2006-06-17T16:01:21' or '2006-06-17')");
                }
            }
        }
    }

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

    private boolean incoming;

    /** -incoming: the machine, once built, waits for a migration instead of starting (inmigrate). */
    public boolean incoming() { return incoming; }

    public void setIncoming(boolean v) { incoming = v; }
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
