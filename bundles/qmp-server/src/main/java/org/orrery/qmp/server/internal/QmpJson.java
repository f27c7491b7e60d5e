package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as QEMU's QMP speaks it. Reading: strict JSON plus QEMU's single-quoted strings, duplicate keys
 * refused. Writing: QEMU's own serializer's output byte for byte: {@code ", "} and {@code ": "}
 * separators, every character outside printable ASCII escaped as {@code \\uXXXX} (upper-case hex,
 * UTF-16 units), {@code /} left alone, doubles as C's {@code %.17g}; pretty mode indents by four spaces
 * and puts even an empty container's closing bracket on its own line. Lines end with CR LF, as QEMU's
 * monitor writes them.
 */
final class QmpJson {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes();

    static ObjectMapper mapper(int maxSize) {
        JsonFactory f = JsonFactory.builder()
                .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(JsonFramer.MAX_NESTING + 8)
                        .maxStringLength(Math.max(maxSize, StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                        .build())
                .build();
        return JsonMapper.builder(f).build();
    }

    private QmpJson() { }

    /** A growable byte buffer that writes JSON values; reused per writer thread. */
    static final class Out {
        private byte[] buf = new byte[512];
        private int len;
        private final boolean pretty;

        Out(boolean pretty) { this.pretty = pretty; }

        void reset() {
            len = 0;
            if (buf.length > 1 << 20) buf = new byte[512];
        }

        byte[] toBytes() { return Arrays.copyOf(buf, len); }

        int length() { return len; }

        /** The bytes written so far, without copying; valid until the next write. */
        java.nio.ByteBuffer buffer() { return java.nio.ByteBuffer.wrap(buf, 0, len); }

        private void ensure(int n) {
            if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
        }

        Out raw(String ascii) {
            int n = ascii.length();
            ensure(n);
            for (int i = 0; i < n; i++) buf[len++] = (byte) ascii.charAt(i);
            return this;
        }

        Out b(char c) {
            ensure(1);
            buf[len++] = (byte) c;
            return this;
        }

        /** Ends a message: QEMU terminates each with CR LF. */
        Out end() { return raw("\r\n"); }

        Out open(char bracket) { return b(bracket); }

        /** Before the {@code index}-th member of a container at nesting {@code level} (its members at level+1). */
        Out sep(int index, int level) {
            if (index > 0) b(',');
            if (pretty) newline(level + 1);
            else if (index > 0) b(' ');
            return this;
        }

        Out close(char bracket, int count, int level) {
            if (pretty) newline(level);
            return b(bracket);
        }

        Out key(String k) {
            string(k);
            return raw(": ");
        }

        private void newline(int level) {
            ensure(2 + 4 * level);
            buf[len++] = '\r';
            buf[len++] = '\n';
            for (int i = 0; i < 4 * level; i++) buf[len++] = ' ';
        }

        Out string(String s) {
            int n = s.length();
            ensure(n + 2);
            buf[len++] = '"';
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                    if (len == buf.length) ensure(1);
                    buf[len++] = (byte) c;
                    continue;
                }
                ensure(6);
                switch (c) {
                    case '"' -> { buf[len++] = '\\'; buf[len++] = '"'; }
                    case '\\' -> { buf[len++] = '\\'; buf[len++] = '\\'; }
                    case '\b' -> { buf[len++] = '\\'; buf[len++] = 'b'; }
                    case '\f' -> { buf[len++] = '\\'; buf[len++] = 'f'; }
                    case '\n' -> { buf[len++] = '\\'; buf[len++] = 'n'; }
                    case '\r' -> { buf[len++] = '\\'; buf[len++] = 'r'; }
                    case '\t' -> { buf[len++] = '\\'; buf[len++] = 't'; }
                    default -> {
                        buf[len++] = '\\';
                        buf[len++] = 'u';
                        buf[len++] = HEX[(c >> 12) & 15];
                        buf[len++] = HEX[(c >> 8) & 15];
                        buf[len++] = HEX[(c >> 4) & 15];
                        buf[len++] = HEX[c & 15];
                    }
                }
            }
            ensure(1);
            buf[len++] = '"';
            return this;
        }

        Out number(long v) {
            if (v >= 0 && v < 10) return b((char) ('0' + v));
            return raw(Long.toString(v));
        }

        Out value(JsonNode n, int level) {
            if (n == null || n.isNull() || n.isMissingNode()) return raw("null");
            switch (n.getNodeType()) {
                case STRING -> string(n.textValue());
                case BOOLEAN -> raw(n.booleanValue() ? "true" : "false");
                case NUMBER -> {
                    if (n.isIntegralNumber()) {
                        if (n.canConvertToLong()) number(n.longValue());
                        else raw(n.bigIntegerValue().toString());
                    } else {
                        raw(formatDouble(n.doubleValue()));
                    }
                }
                case OBJECT -> {
                    b('{');
                    int i = 0;
                    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); i++) {
                        Map.Entry<String, JsonNode> e = it.next();
                        sep(i, level);
                        key(e.getKey());
                        value(e.getValue(), level + 1);
                    }
                    close('}', i, level);
                }
                case ARRAY -> {
                    b('[');
                    int i = 0;
                    for (JsonNode e : n) {
                        sep(i++, level);
                        value(e, level + 1);
                    }
                    close(']', i, level);
                }
                default -> raw("null");   // binary or POJO nodes never reach the wire from commands
            }
            return this;
        }
    }

    /** C's {@code printf("%.17g")}, which QEMU uses for every floating-point number. */
    static String formatDouble(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return Double.isNaN(d) ? "nan" : (d > 0 ? "inf" : "-inf");
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        BigDecimal bd = new BigDecimal(d).round(new MathContext(17));
        int exp = bd.precision() - bd.scale() - 1;   // decimal exponent of the leading digit
        String digits = bd.unscaledValue().abs().toString();
        while (digits.length() < 17) digits += "0";
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 17) {
            String mant = stripZeros(digits.charAt(0) + "." + digits.substring(1));
            String e = String.valueOf(Math.abs(exp));
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
        }
        String s;
        if (exp >= 0) s = digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
        else s = "0." + "0".repeat(-exp - 1) + digits;
        return sign + stripZeros(s);
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) return s;
        int end = s.length();
        while (s.charAt(end - 1) == '0') end--;
        if (s.charAt(end - 1) == '.') end--;
        return s.substring(0, end);
    }
}
