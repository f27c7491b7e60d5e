package org.orrery.launcher;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The one path of the platform's own log records (the container, bundles, front-ends; not the guest's
 * -d/-D log): java.util.logging's root logger, which every bundle logs through, gets one handler that
 * writes each record as one line on stderr, "orrery: warning: ...", at the level -log-level chose
 * (warning unless told otherwise). The framework's own records join the same path. Stack traces only at
 * debug, where someone asked for them.
 */
final class PlatformLog {
    /** The levels -log-level takes, mildest last. */
    enum Threshold {
        OFF(Level.OFF, 0), ERROR(Level.SEVERE, 1), WARNING(Level.WARNING, 2), INFO(Level.INFO, 3), DEBUG(Level.FINE, 4);

        final Level level;
        /** Felix's own scale (felix.log.level). */
        final int felixLevel;

        Threshold(Level level, int felixLevel) {
            this.level = level;
            this.felixLevel = felixLevel;
        }

        String spelling() {
            return name().toLowerCase(Locale.ROOT);
        }

        static String choices() {
            return Arrays.stream(values()).map(Threshold::spelling).collect(Collectors.joining(", "));
        }

        static Threshold parse(String text) throws CommandLine.InvalidCommandLineException {
            for (Threshold t : values()) {
                if (t.spelling().equals(text.strip().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new CommandLine.InvalidCommandLineException("-log-level " + text + ": expected one of " + choices());
        }
    }

    static final Threshold DEFAULT = Threshold.WARNING;

    /** The level the command line asks for (the last -log-level wins; {@link CommandLine#parse} checked each). */
    static Threshold threshold(CommandLine commandLine) {
        Threshold t = DEFAULT;
        for (String v : commandLine.valuesOf(QemuOption.LOG_LEVEL)) {
            try {
                t = Threshold.parse(v);
            } catch (CommandLine.InvalidCommandLineException checkedAlready) {
                // parse refused it before we got here
            }
        }
        return t;
    }

    private PlatformLog() {
    }

    /** Routes every platform record to {@code err}, one line each, from {@code threshold} up. */
    static void install(Threshold threshold, PrintStream err) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(threshold.level);
        root.addHandler(new OneLineHandler(err, threshold));
    }

    /** The framework properties that send Felix's own records down the same path, at the same level. */
    static void configureFramework(Map<String, Object> properties, Threshold threshold) {
        properties.put("felix.log.level", String.valueOf(threshold.felixLevel));
        if (threshold == Threshold.OFF) {
            properties.put("ds.log.enabled", "false");   // SCR's own logger, which prints errors otherwise
        }
        try {
            // Felix takes an instance of its own Logger class, which forwards to any object with log(int, String, Throwable)
            Object felixLogger = Class.forName("org.apache.felix.framework.Logger").getConstructor().newInstance();
            felixLogger.getClass().getMethod("setLogger", Object.class).invoke(felixLogger, new FrameworkRecords());
            properties.put("felix.log.logger", felixLogger);
        } catch (ReflectiveOperationException | LinkageError notFelix) {
            // another framework: it logs its own way
        }
    }

    /** The target of Felix's logger: its levels (1 error .. 4 debug) become java.util.logging's. */
    public static final class FrameworkRecords {
        private static final Logger LOG = Logger.getLogger("org.apache.felix.framework");

        public void log(int level, String message, Throwable failure) {
            Level l = switch (level) {
                case 1 -> Level.SEVERE;
                case 2 -> Level.WARNING;
                case 3 -> Level.INFO;
                default -> Level.FINE;
            };
            LOG.log(l, message, failure);
        }
    }

    /** Writes a record as "orrery: LEVEL: message[: failure]" on one line. */
    static final class OneLineHandler extends Handler {
        private final PrintStream err;
        private final boolean traces;

        OneLineHandler(PrintStream err, Threshold threshold) {
            this.err = err;
            this.traces = threshold == Threshold.DEBUG;
            setLevel(threshold.level);
        }

        @Override
        public void publish(LogRecord record) {
            if (record == null || !isLoggable(record)) {
                return;
            }
            String line = format(record);
            synchronized (err) {
                err.println(line);
                if (traces && record.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    record.getThrown().printStackTrace(new PrintWriter(trace));
                    err.print(trace);
                }
                err.flush();
            }
        }

        static String format(LogRecord record) {
            String message = record.getMessage() == null ? "" : record.getMessage();
            if (record.getParameters() != null && record.getParameters().length > 0) {
                try {
                    message = java.text.MessageFormat.format(message, record.getParameters());
                } catch (IllegalArgumentException notAPattern) {
                    // printed as it is
                }
            }
            StringBuilder b = new StringBuilder("orrery: ").append(levelName(record.getLevel())).append(": ");
            b.append(message.lines().map(String::strip).collect(Collectors.joining(" ")));
            if (record.getThrown() != null) {
                b.append(": ").append(BundleProblemReporter.oneLine(record.getThrown()));
            }
            return b.toString();
        }

        private static String levelName(Level level) {
            int v = level.intValue();
            if (v >= Level.SEVERE.intValue()) {
                return "error";
            }
            if (v >= Level.WARNING.intValue()) {
                return "warning";
            }
            return v >= Level.INFO.intValue() ? "info" : "debug";
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
