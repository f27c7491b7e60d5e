package org.orrery.cli.internal;

/** A command-line error: printed as one line "orrery: OPTION: problem", exit status 1. */
final class CommandLineException extends RuntimeException {
    private final Option option;

    CommandLineException(Option option, String message) {
        super(message, null, false, false);
        this.option = option;
    }

    String line() {
        return "orrery: " + (option == null ? "" : option.written() + ": ") + getMessage();
    }
}
