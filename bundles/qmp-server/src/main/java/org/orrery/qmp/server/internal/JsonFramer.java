package org.orrery.qmp.server.internal;

import java.util.Arrays;

/**
 * Cuts a byte stream into top-level JSON texts, as QEMU's JSON streamer does, without parsing them:
 * it follows strings (both quote styles, escapes) and bracket depth, so a text is complete when its
 * outermost brace or bracket closes, or when a top-level scalar token ends.
 *
 * <p>Recovery follows QEMU's documented rules. A control character (other than tab, CR, LF) anywhere,
 * or a byte 0xFF, is a lexical error that resets the parser at once, so a client can always bring the
 * server back into a known state. Numbers and keywords are lexed as they come, at any depth: a character no
 * token can start or continue with ({@code {"execute": "x"G}) is answered at once with QEMU's "stray" error,
 * the pending text is dropped, and input resumes at the next structural or control character. Input that
 * cannot be a JSON text at all (nesting deeper than
 * {@link #MAX_NESTING}, a text over the size limit, a bracket closing a brace) is reported once and the rest of the line is
 * skipped: the next newline-delimited text is read normally. Syntax errors inside a
 * complete text are the parser's business, and cost nothing beyond that one text.
 *
 * <p>Not thread-safe: one per connection, fed by its reader.
 */
final class JsonFramer {
    /** QEMU's limit: brace plus bracket depth. */
    static final int MAX_NESTING = 1024;

    // the states of a bare token, as JSON's grammar (and QEMU's lexer) reads numbers and keywords
    private static final int NONE = 0, MINUS = 1, ZERO = 2, INTEGER = 3, POINT = 4, FRACTION = 5, EXP = 6, EXP_SIGN = 7,
            EXP_DIGITS = 8, KEYWORD = 9;
    /** What a character does to a bare token: ends it (and is read afresh), or makes it invalid. */
    private static final int END = -1, INVALID = -2;

    interface Sink {
        /** A complete top-level text; the array is only valid during the call. */
        void text(byte[] buf, int off, int len);

        /** Input that could not be framed; {@code desc} is the QMP error description. */
        void error(String desc);
    }

    private final Sink sink;
    private final int maxSize;
    private byte[] pending = new byte[256];
    private int pendingLen;
    private boolean inText;      // inside a top-level text (container, string or bare token)
    private boolean inString;
    private boolean inToken;     // a top-level bare token (number or keyword)
    private int token = NONE;    // where the lexer is in a bare token, at any depth
    private final StringBuilder tokenText = new StringBuilder();
    private boolean recovering;  // after a lexical error: skipping to a point where input can start again
    private boolean escape;
    private byte quote;
    private int depth;
    private final byte[] open = new byte[MAX_NESTING + 1];   // the closer each open level expects
    private boolean skipLine;

    JsonFramer(Sink sink, int maxSize) {
        this.sink = sink;
        this.maxSize = maxSize;
    }

    void feed(byte[] b, int off, int len) {
        final int end = off + len;
        int start = inText ? off : -1;   // where the current text's unsaved bytes begin in b
        for (int i = off; i < end; i++) {
            final byte c = b[i];
            if (skipLine) {
                if (c == '\n' || isResync(c)) skipLine = false;
                continue;
            }
            if (inString) {
                if (escape) {
                    escape = false;
                } else if (c == '\\') {
                    escape = true;
                } else if (c == quote) {
                    inString = false;
                    if (depth == 0) { emit(b, start, i + 1); start = -1; }
                } else if ((c >= 0 && c < 0x20) || c == (byte) 0xFF) {
                    reset();
                    start = -1;
                    sink.error(c == '\n' ? "JSON parse error, missing closing quote" : stray(c));
                }
                continue;
            }
            if (recovering) {
                // after a lexical error QEMU's lexer skips to a structural character or a control character
                if (!isStructural(c) && !isControl(c)) continue;
                recovering = false;
            }
            if (token != NONE) {
                int next = next(token, c);
                if (next >= 0) {
                    token = next;
                    if (tokenText.length() < 64) tokenText.append((char) c);
                    continue;
                }
                if (next == INVALID) {
                    lexicalError(tokenText.append(shown(c)).toString());
                    start = -1;
                    continue;
                }
                token = NONE;
                if (inToken) {
                    emit(b, start, i);
                    start = -1;
                }
                // the character that ended the token is read afresh below
            }
            switch (c) {
                case ' ', '\t', '\r', '\n' -> { }
                case '{', '[' -> {
                    if (!inText) { inText = true; start = i; }
                    if (depth == MAX_NESTING) {
                        reset();
                        start = -1;
                        skipLine = true;
                        sink.error("JSON nesting depth limit exceeded");
                    } else {
                        open[depth++] = c == '{' ? (byte) '}' : (byte) ']';
                    }
                }
                case '}', ']' -> {
                    if (depth == 0) {
                        sink.error("JSON parse error, expecting value");
                    } else if (open[depth - 1] != c) {
                        // a ']' closing a '{' (or the reverse) can never become valid: drop the line
                        reset();
                        start = -1;
                        skipLine = true;
                        sink.error("JSON parse error, expecting value");
                    } else if (--depth == 0) {
                        emit(b, start, i + 1);
                        start = -1;
                    }
                }
                case ':', ',' -> {
                    // separators belong inside a text; at top level QEMU's parser says a value was expected
                    if (depth == 0) sink.error("JSON parse error, expecting value");
                }
                case '"', '\'' -> {
                    if (!inText) { inText = true; start = i; }
                    inString = true;
                    quote = c;
                }
                default -> {
                    int first = next(NONE, c);
                    if (isResync(c)) {
                        reset();
                        start = -1;
                        sink.error(stray(c));
                    } else if (first < 0) {
                        // a character no JSON token starts with: QEMU answers at once instead of waiting for the text to close
                        lexicalError(shown(c));
                        start = -1;
                    } else {
                        token = first;
                        tokenText.setLength(0);
                        tokenText.append((char) c);
                        if (!inText) {
                            inText = true;
                            inToken = true;
                            start = i;
                        }
                    }
                }
            }
        }
        if (start >= 0 && inText) {
            if ((long) pendingLen + (end - start) > maxSize) {
                reset();
                skipLine = true;
                sink.error("JSON token size limit exceeded");
                return;
            }
            save(b, start, end - start);
        }
    }

    /** Input ended: a top-level token still open is complete (a client may end without a newline). */
    void endOfInput() {
        if (inToken && !recovering) {
            byte[] rest = Arrays.copyOf(pending, pendingLen);
            reset();
            sink.text(rest, 0, rest.length);
        }
    }

    private void emit(byte[] b, int start, int endExclusive) {
        int n = endExclusive - start;
        if ((long) pendingLen + n > maxSize) {
            reset();
            sink.error("JSON token size limit exceeded");
            return;
        }
        if (pendingLen == 0) {
            resetState();
            sink.text(b, start, n);
        } else {
            save(b, start, n);
            int total = pendingLen;
            resetState();
            pendingLen = 0;
            sink.text(pending, 0, total);
            if (pending.length > 1 << 16) pending = new byte[256];   // do not keep a huge buffer around
        }
    }

    private void save(byte[] b, int start, int n) {
        if (pendingLen + n > pending.length) pending = Arrays.copyOf(pending, Math.max(pendingLen + n, pending.length * 2));
        System.arraycopy(b, start, pending, pendingLen, n);
        pendingLen += n;
    }

    /** A character that cannot continue the input: the pending text is dropped and input resumes after it. */
    private void lexicalError(String text) {
        reset();
        recovering = true;
        sink.error("JSON parse error, stray '" + text + "'");
    }

    /** The next state of bare token {@code state} after {@code c}: a state, {@link #END} or {@link #INVALID}. */
    private static int next(int state, byte c) {
        boolean digit = c >= '0' && c <= '9';
        return switch (state) {
            case NONE -> c == '-' ? MINUS : c == '0' ? ZERO : digit ? INTEGER : c >= 'a' && c <= 'z' ? KEYWORD : INVALID;
            case MINUS -> c == '0' ? ZERO : digit ? INTEGER : INVALID;
            case ZERO -> c == '.' ? POINT : c == 'e' || c == 'E' ? EXP : END;
            case INTEGER -> digit ? INTEGER : c == '.' ? POINT : c == 'e' || c == 'E' ? EXP : END;
            case POINT -> digit ? FRACTION : INVALID;
            case FRACTION -> digit ? FRACTION : c == 'e' || c == 'E' ? EXP : END;
            case EXP -> c == '+' || c == '-' ? EXP_SIGN : digit ? EXP_DIGITS : INVALID;
            case EXP_SIGN -> digit ? EXP_DIGITS : INVALID;
            case EXP_DIGITS -> digit ? EXP_DIGITS : END;
            case KEYWORD -> c >= 'a' && c <= 'z' ? KEYWORD : END;
            default -> INVALID;
        };
    }

    private static boolean isStructural(byte c) {
        return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',';
    }

    private static boolean isControl(byte c) {
        return (c >= 0 && c < 0x20) || c == (byte) 0xFE || c == (byte) 0xFF;
    }

    private static String shown(byte c) { return c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "\uFFFD"; }

    private void resetState() {
        inText = false;
        inString = false;
        inToken = false;
        token = NONE;
        escape = false;
        depth = 0;
    }

    private void reset() {
        resetState();
        pendingLen = 0;
        if (pending.length > 1 << 16) pending = new byte[256];
    }

    private static boolean isResync(byte c) {
        return (c >= 0 && c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == (byte) 0xFF;
    }


    private static String stray(byte c) {
        return "JSON parse error, stray '" + (c == (byte) 0xFF ? "\uFFFD" : String.valueOf((char) c)) + "'";
    }
}
