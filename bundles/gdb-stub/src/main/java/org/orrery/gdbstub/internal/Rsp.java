package org.orrery.gdbstub.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The byte-level rules of gdb's remote serial protocol: a packet is {@code $payload#cc} where cc is the
 * modulo-256 sum of the payload bytes in two lower-case hex digits; binary payloads escape
 * {@code # $ } *} as {@code 0x7d} followed by the byte xor 0x20; replies may compress runs of a byte
 * as {@code X*n} (n = repeat count + 29, printable, never {@code #} or {@code $}).
 */
final class Rsp {
    static final byte START = '$';
    static final byte END = '#';
    static final byte ESCAPE = 0x7d;
    static final byte RUN = '*';
    static final byte ACK = '+';
    static final byte NACK = '-';
    static final byte INTERRUPT = 0x03;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Rsp() { }

    static int checksum(byte[] data, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) sum += data[i] & 0xff;
        return sum & 0xff;
    }

    static int checksum(byte[] data) { return checksum(data, 0, data.length); }

    /** The framed packet for {@code payload}, run-length encoded when {@code compress} is set. */
    static byte[] frame(byte[] payload, boolean compress) {
        byte[] body = compress ? runLengthEncode(payload) : payload;
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 4);
        out.write(START);
        out.writeBytes(body);
        out.write(END);
        int sum = checksum(body);
        out.write(HEX[sum >> 4]);
        out.write(HEX[sum & 15]);
        return out.toByteArray();
    }

    static byte[] frame(String payload, boolean compress) { return frame(latin1(payload), compress); }

    /**
     * Compresses runs of four or more equal bytes. A repeat count that would encode as '#' or '$' (6 or 7
     * extra copies) is shortened to 5 and the rest sent as it is.
     */
    static byte[] runLengthEncode(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        int i = 0;
        while (i < in.length) {
            byte b = in[i];
            int run = 1;
            while (i + run < in.length && in[i + run] == b && run < 98) run++;
            out.write(b);
            int extra = run - 1;
            if (extra >= 3 && b != RUN && b != ESCAPE && b != START && b != END) {
                if (extra == 6 || extra == 7) extra = 5;
                out.write(RUN);
                out.write(extra + 29);
                i += extra + 1;
            } else {
                i++;
            }
        }
        return out.toByteArray();
    }

    /** Expands {@code X*n} runs (gdb never sends them, but a stub must not choke on them). */
    static byte[] runLengthDecode(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == RUN && i > 0 && i + 1 < in.length) {
                byte prev = in[i - 1];
                int n = (in[++i] & 0xff) - 29;
                for (int k = 0; k < n; k++) out.write(prev);
            } else {
                out.write(in[i]);
            }
        }
        return out.toByteArray();
    }

    /** Escapes the bytes that may not appear raw in a binary payload. */
    static byte[] escape(byte[] in, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from + 16);
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if (b == START || b == END || b == ESCAPE || b == RUN) {
                out.write(ESCAPE);
                out.write(b ^ 0x20);
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    static byte[] unescape(byte[] in, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            if (in[i] == ESCAPE && i + 1 < to) out.write(in[++i] ^ 0x20);
            else out.write(in[i]);
        }
        return out.toByteArray();
    }

    static String hex(byte[] data, int from, int to) {
        StringBuilder sb = new StringBuilder((to - from) * 2);
        for (int i = from; i < to; i++) sb.append(HEX[(data[i] >> 4) & 15]).append(HEX[data[i] & 15]);
        return sb.toString();
    }

    static String hex(byte[] data) { return hex(data, 0, data.length); }

    static String hexText(String text) { return hex(text.getBytes(StandardCharsets.UTF_8)); }

    /** Little-endian hex of the low {@code bytes} bytes of {@code value}, as registers travel. */
    static String hexLe(long value, int bytes) {
        StringBuilder sb = new StringBuilder(bytes * 2);
        for (int i = 0; i < bytes; i++) {
            int b = (int) (value >>> (8 * i)) & 0xff;
            sb.append(HEX[b >> 4]).append(HEX[b & 15]);
        }
        return sb.toString();
    }

    /** Reads {@code bytes} little-endian bytes of hex at {@code at}; throws on bad digits or short input. */
    static long parseLe(String hex, int at, int bytes) {
        if (at + bytes * 2 > hex.length()) throw new IllegalArgumentException("short register value");
        long v = 0;
        for (int i = 0; i < bytes; i++) v |= (long) parseByte(hex, at + 2 * i) << (8 * i);
        return v;
    }

    static byte[] unhex(String hex) {
        if ((hex.length() & 1) != 0) throw new IllegalArgumentException("odd number of hex digits");
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) parseByte(hex, 2 * i);
        return out;
    }

    static String unhexText(String hex) { return new String(unhex(hex), StandardCharsets.UTF_8); }

    private static int parseByte(String s, int at) { return digit(s.charAt(at)) << 4 | digit(s.charAt(at + 1)); }

    static int digit(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw new IllegalArgumentException("not a hex digit: " + (char) c);
    }

    /** An unsigned hex number of at most 16 digits; throws on anything else. */
    static long parseHex(String s) {
        if (s.isEmpty() || s.length() > 16) throw new IllegalArgumentException("bad hex number '" + s + "'");
        long v = 0;
        for (int i = 0; i < s.length(); i++) v = v << 4 | digit(s.charAt(i));
        return v;
    }

    static byte[] latin1(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    static String latin1(byte[] b, int from, int to) { return new String(b, from, to - from, StandardCharsets.ISO_8859_1); }
}
