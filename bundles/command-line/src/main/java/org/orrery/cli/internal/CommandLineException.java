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

    /** Control characters (a newline in a value, say) are shown escaped, so the error stays one line. */
    static String oneLine(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c < 0x20 && c != '\t' || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
