package org.orrery.display.internal;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** screendump's files, read back by independent decoders: the JDK's PNG reader, and the PPM header by hand. */
class ImageFilesTest {
    static int[] picture(int w, int h) {
        int[] px = new int[w * h];
        Random r = new Random(7);
        for (int i = 0; i < px.length; i++) px[i] = i % 5 == 0 ? r.nextInt(1 << 24) : (i * 37) & 0xffffff;
        return px;
    }

    @Test void thePngDecodesToTheSamePixels() throws Exception {
        int w = 123, h = 45;
        int[] px = picture(w, h);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageFiles.writePng(out, w, h, px);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) assertEquals(px[y * w + x], img.getRGB(x, y) & 0xffffff, x + "," + y);
    }

    @Test void thePpmIsP6WithTheRgbBytes() throws Exception {
        int w = 7, h = 3;
        int[] px = picture(w, h);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageFiles.writePpm(out, w, h, px);
        byte[] b = out.toByteArray();
        String header = "P6\n7 3\n255\n";
        assertEquals(header, new String(b, 0, header.length(), StandardCharsets.US_ASCII));
        assertEquals(header.length() + w * h * 3, b.length);
        for (int i = 0; i < w * h; i++) {
            int at = header.length() + 3 * i;
            assertEquals(px[i], (b[at] & 255) << 16 | (b[at + 1] & 255) << 8 | (b[at + 2] & 255));
        }
    }
}
