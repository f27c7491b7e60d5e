package org.orrery.display.internal;

import java.nio.ByteBuffer;

/**
 * An RFB pixel format (RFC 6143, 7.4): how a client wants pixels sent. Only true colour is served; a client that asks
 * for a colour map, or for a size other than 8, 16 or 32 bits, is refused by {@link #parse}.
 */
record PixelFormat(int bitsPerPixel, int depth, boolean bigEndian, int redMax, int greenMax, int blueMax,
                   int redShift, int greenShift, int blueShift) {
    /** What the server offers in ServerInit: 32 bits, 0x00RRGGBB little-endian (bytes B, G, R, 0). */
    static final PixelFormat SERVER = new PixelFormat(32, 24, false, 255, 255, 255, 16, 8, 0);

    int bytesPerPixel() { return bitsPerPixel / 8; }

    /** The 16 bytes of the format on the wire. */
    byte[] encode() {
        return ByteBuffer.allocate(16).put((byte) bitsPerPixel).put((byte) depth).put((byte) (bigEndian ? 1 : 0)).put((byte) 1)
                .putShort((short) redMax).putShort((short) greenMax).putShort((short) blueMax)
                .put((byte) redShift).put((byte) greenShift).put((byte) blueShift).array();
    }

    /** The format a SetPixelFormat message carries, or null when it is one this server does not serve. */
    static PixelFormat parse(ByteBuffer b) {
        int bpp = b.get(0) & 0xff, depth = b.get(1) & 0xff;
        boolean big = b.get(2) != 0, trueColour = b.get(3) != 0;
        if (!trueColour || (bpp != 8 && bpp != 16 && bpp != 32)) return null;
        PixelFormat f = new PixelFormat(bpp, depth, big, b.getShort(4) & 0xffff, b.getShort(6) & 0xffff, b.getShort(8) & 0xffff,
                b.get(10) & 0xff, b.get(11) & 0xff, b.get(12) & 0xff);
        return f.redShift < bpp && f.greenShift < bpp && f.blueShift < bpp ? f : null;
    }

    /** Converts {@code count} pixels (0x00RRGGBB) into {@code out} from {@code at}; returns the next free byte. */
    int convert(int[] pixels, int from, int count, byte[] out, int at) {
        if (equals(SERVER)) {
            for (int i = 0; i < count; i++) {
                int p = pixels[from + i];
                out[at++] = (byte) p;
                out[at++] = (byte) (p >> 8);
                out[at++] = (byte) (p >> 16);
                out[at++] = 0;
            }
            return at;
        }
        int bytes = bytesPerPixel();
        for (int i = 0; i < count; i++) {
            int p = pixels[from + i];
            long v = (long) (((p >> 16) & 0xff) * redMax / 255) << redShift
                    | (long) (((p >> 8) & 0xff) * greenMax / 255) << greenShift
                    | (long) ((p & 0xff) * blueMax / 255) << blueShift;
            for (int k = 0; k < bytes; k++) out[at + (bigEndian ? bytes - 1 - k : k)] = (byte) (v >>> (8 * k));
            at += bytes;
        }
        return at;
    }
}
