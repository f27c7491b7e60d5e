package org.orrery.cli.internal;

/** A command-line error: printed as one line "orrery: OPTION: problem", exit status 1. */
final class CommandLineException extends RuntimeException {
    private final Option option;

    CommandLineException(Option option, String message) {
        super(message, null, false, false);
        this.option = option;
    }

    String line() {
        return oneLine("orrery: " + (option == null ? "" : option.written() + ": ") + getMessage());
    }

    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("[\\p{Cntrl}\\u2028\\u2029&&[^\\t]]");

    /** Control characters (a newline in a value, say) are shown escaped, as \x0a, so the error stays one line. */
    static String oneLine(String text) {
        return CONTROL.matcher(text).replaceAll(m -> String.format("\\\\x%02x", (int) m.group().charAt(0)));
    }
}
