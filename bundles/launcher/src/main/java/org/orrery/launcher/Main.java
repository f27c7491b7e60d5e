package org.orrery.launcher;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Entry point of the {@code orrery} command: checks the command line against the option
 * table, answers -version and -help, and otherwise runs the OSGi container.
 *
 * <p>System properties: {@code orrery.home} (the distribution folder; the script sets it) and
 * {@code orrery.startup.report} (print one line with start-up figures once the command line is done).
 */
public final class Main {
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}\\u2028\\u2029&&[^\\t]]");

    private Main() {
    }

    public static void main(String[] args) {
        // System.exit, not return: bundles may have left non-daemon threads behind.
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Control characters in what the user typed are shown escaped (\x0a), so an error stays one line. */
    static String oneLine(String text) {
        return CONTROL.matcher(text).replaceAll(m -> String.format("\\\\x%02x", (int) m.group().charAt(0)));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        CommandLine commandLine;
        try {
            commandLine = CommandLine.parse(args);
        } catch (CommandLine.InvalidCommandLineException e) {
            // the message quotes what was typed: control characters in it are escaped, so it stays one line
            err.println("orrery: " + oneLine(e.getMessage()));
            return 1;
        }
        PlatformLog.install(PlatformLog.threshold(commandLine), err);
        if (commandLine.has(QemuOption.HELP)) {
            out.println("usage: orrery [options]");
            out.println();
            out.println(QemuOption.usage());
            return 0;
        }
        if (commandLine.has(QemuOption.VERSION)) {
            out.println("Orrery version " + VersionInfo.orreryVersion());
            out.println("Running on Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
            return 0;
        }
        List<String> watched = commandLine.valuesOf(QemuOption.BUNDLES);
        if (watched.size() > 1) {
            err.println("orrery: -bundles: may be given once (one folder is watched)");
            return 1;
        }
        Optional<Path> watchedFolder = watched.stream().findFirst().map(dir -> Path.of(dir).toAbsolutePath().normalize());
        if (watchedFolder.isPresent() && !Files.isDirectory(watchedFolder.get())) {
            err.println("orrery: -bundles: " + oneLine(watched.getFirst()) + ": not a directory");
            return 1;
        }
        try {
            Distribution distribution = Distribution.locate();
            boolean reportStartup = Boolean.getBoolean("orrery.startup.report");
            return new EmbeddedContainer(distribution, commandLine, watchedFolder, reportStartup, err).runUntilStopped();
        } catch (Distribution.IncompleteDistributionException e) {
            err.println("orrery: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("orrery: the container failed: " + BundleProblemReporter.oneLine(e));
            return 1;
        }
    }
}
