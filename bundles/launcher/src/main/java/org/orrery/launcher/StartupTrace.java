package org.orrery.launcher;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * {@code -Dorrery.startup.trace=true}: one line per start-up step on stderr, with the time since the
 * user launched Orrery, so the slow steps can be named. Silent otherwise.
 */
final class StartupTrace {
    private final boolean enabled;
    private final Instant launched;
    private final PrintStream err;

    StartupTrace(boolean enabled, Instant launched, PrintStream err) {
        this.enabled = enabled;
        this.launched = launched;
        this.err = err;
    }

    static StartupTrace fromSystemProperties(PrintStream err) {
        return new StartupTrace(Boolean.getBoolean("orrery.startup.trace"), launchInstant(), err);
    }

    /** Prints "orrery: startup: +12.3 ms what" when tracing. */
    void mark(String what) {
        if (enabled) err.printf("orrery: startup: +%.1f ms %s%n", millisSinceLaunch(), what);
    }

    /** Marks a step that took {@code sinceNanos} until now, when it took at least {@code thresholdMillis}. */
    void step(String what, long sinceNanos, long thresholdMillis) {
        long ms = (System.nanoTime() - sinceNanos) / 1_000_000;
        if (enabled && ms >= thresholdMillis) mark(what + " took " + ms + " ms");
    }

    double millisSinceLaunch() {
        return ChronoUnit.MICROS.between(launched, Instant.now()) / 1000.0;
    }

    /**
     * When the user launched Orrery: the orrery script passes the time it started, else the
     * process start time (which Linux gives with only coarse precision).
     */
    static Instant launchInstant() {
        String micros = System.getProperty("orrery.launch.epoch.micros");
        if (micros != null && micros.matches("\\d+")) {
            return Instant.EPOCH.plus(Long.parseLong(micros), ChronoUnit.MICROS);
        }
        return ProcessHandle.current().info().startInstant().orElse(Instant.now());
    }
}
