package org.orrery.launcher;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The user's command line, checked against {@link QemuOption}: every option is known and
 * has its argument. Options may be spelt with one or two dashes, as QEMU allows.
 *
 * @param arguments the arguments exactly as given, in order (what bundles receive)
 * @param values    for each option given, the values it was given with (empty strings for flags)
 */
record CommandLine(List<String> arguments, Map<QemuOption, List<String>> values) {

    /** Thrown for a command line no part of Orrery accepts; the message is QEMU's one-line style. */
    static final class InvalidCommandLineException extends Exception {
        InvalidCommandLineException(String message) {
            super(message);
        }
    }

    CommandLine {
        arguments = List.copyOf(arguments);
        values = Map.copyOf(values);
    }

    static CommandLine parse(List<String> arguments) throws InvalidCommandLineException {
        Map<QemuOption, List<String>> values = new EnumMap<>(QemuOption.class);
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (!argument.startsWith("-") || argument.length() == 1) {
                // QEMU would take a bare word as a disk image; Orrery wants -drive for that.
                throw new InvalidCommandLineException(argument + ": unexpected argument (give disk images with -drive)");
            }
            String name = argument.startsWith("--") ? argument.substring(2) : argument.substring(1);
            QemuOption option = QemuOption.bySpelling(name)
                    .orElseThrow(() -> new InvalidCommandLineException(argument + ": invalid option"));
            if (option.isRefused()) {
                throw new InvalidCommandLineException(argument + ": not supported: " + option.support().note());
            }
            String value = "";
            if (option.takesArgument()) {
                if (i + 1 >= arguments.size()) {
                    throw new InvalidCommandLineException(argument + ": requires an argument");
                }
                value = arguments.get(++i);
            }
            if (option == QemuOption.LOG_LEVEL) {
                PlatformLog.Threshold.parse(value);
            }
            values.computeIfAbsent(option, o -> new ArrayList<>()).add(value);
        }
        values.replaceAll((option, list) -> List.copyOf(list));
        return new CommandLine(arguments, values);
    }

    boolean has(QemuOption option) {
        return values.containsKey(option);
    }

    List<String> valuesOf(QemuOption option) {
        return values.getOrDefault(option, List.of());
    }

    /**
     * Whether the user asked for a machine to run. Until then, {@code ./orrery} is the bare
     * container with its Gogo console.
     */
    boolean requestsMachine() {
        return has(QemuOption.MACHINE) || has(QemuOption.KERNEL) || has(QemuOption.BIOS);
    }

    /**
     * Whether the Gogo console reads the terminal. When a machine runs, its serial console
     * (with -nographic) or the user's monitor owns the terminal unless -shell asks otherwise.
     */
    boolean wantsInteractiveShell() {
        return has(QemuOption.SHELL) || !requestsMachine();
    }
}
