package org.orrery.display.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes a picture of 0x00RRGGBB pixels as a binary PPM (P6, what QEMU's screendump writes by default) or as an 8-bit
 * RGB PNG (format=png). The PNG encoder is a few lines over java.util.zip, so the bundle needs neither java.desktop's
 * ImageIO nor AWT.
 */
final class ImageFiles {
    private ImageFiles() { }

    static void writePpm(OutputStream out, int width, int height, int[] pixels) throws IOException {
        out.write(("P6\n" + width + " " + height + "\n255\n").getBytes(StandardCharsets.US_ASCII));
        byte[] row = new byte[width * 3];
        for (int y = 0; y < height; y++) {
            rgbRow(pixels, y * width, width, row, 0);
            out.write(row);
        }
    }

    static void writePng(OutputStream out, int width, int height, int[] pixels) throws IOException {
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[] {8, 2, 0, 0, 0});     // 8 bits a channel, RGB, deflate, adaptive filtering, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
            byte[] row = new byte[1 + width * 3];
            byte[] prior = new byte[width * 3];
            byte[] filtered = new byte[1 + width * 3];
            for (int y = 0; y < height; y++) {
                rgbRow(pixels, y * width, width, row, 1);
                // filter "Up" (each byte minus the one above): smooth pictures compress far better than unfiltered
                filtered[0] = 2;
                for (int i = 0; i < prior.length; i++) {
                    filtered[1 + i] = (byte) (row[1 + i] - prior[i]);
                    prior[i] = row[1 + i];
                }
                z.write(filtered);
            }
        } finally {
            deflater.end();
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
    }

    private static void rgbRow(int[] pixels, int from, int width, byte[] row, int at) {
        for (int x = 0; x < width; x++) {
            int p = pixels[from + x];
            row[at++] = (byte) (p >> 16);
            row[at++] = (byte) (p >> 8);
            row[at++] = (byte) p;
        }
    }

    private static void chunk(OutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        d.writeInt(data.length);
        d.write(name);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        d.writeInt((int) crc.getValue());
        d.flush();
    }
}
