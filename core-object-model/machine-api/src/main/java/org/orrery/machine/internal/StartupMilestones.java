package org.orrery.machine.internal;

import org.orrery.machine.LogCategory;
import org.orrery.machine.MachineOptions;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * {@code -d startup}: one log line per start-up milestone of a machine, with the time since the user
 * launched Orrery (the orrery script passes that instant; else the process start time), so a user or a
 * benchmark can see how long a start took up to the guest's first instruction.
 */
final class StartupMilestones {
    private StartupMilestones() {
    }

    static void log(MachineOptions options, String milestone) {
        if (!options.logCategories().contains(LogCategory.STARTUP)) return;
        options.logSink().printf("startup: +%.1f ms %s%n", ChronoUnit.MICROS.between(launched(), Instant.now()) / 1000.0, milestone);
        options.logSink().flush();
    }

    private static Instant launched() {
        String micros = System.getProperty("orrery.launch.epoch.micros");
        if (micros != null && micros.matches("\\d+")) return Instant.EPOCH.plus(Long.parseLong(micros), ChronoUnit.MICROS);
        return ProcessHandle.current().info().startInstant().orElse(Instant.now());
    }
}
