package org.orrery.machine.display;

import java.util.Arrays;

/**
 * A picture a display head shows: {@code width} x {@code height} pixels, each an int {@code 0x00RRGGBB} (8 bits a
 * channel, the format every front-end converts from). Its size never changes: a resize is a new surface. The
 * device writes it on the machine thread while front-ends read it from theirs, so every access to the pixels is
 * synchronized on the surface (a reader sees whole rows, never a torn pixel).
 */
public final class Surface {
    /** The largest side a surface may have (QEMU's virtio-gpu and VNC both stop well below this). */
    public static final int MAX_SIDE = 16384;

    private final int width;
    private final int height;
    private final int[] pixels;

    /** A black surface of the given size (1 .. {@link #MAX_SIDE} each way). */
    public Surface(int width, int height) {
        if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
            throw new IllegalArgumentException("surface size " + width + "x" + height + " out of range");
        this.width = width;
        this.height = height;
        this.pixels = new int[width * height];
    }

    public int width() { return width; }

    public int height() { return height; }

    /** Copies {@code w} x {@code h} pixels from {@code src} (rows {@code srcStride} apart, from {@code srcOffset}) to (x, y). */
    public synchronized void write(int x, int y, int w, int h, int[] src, int srcOffset, int srcStride) {
        check(x, y, w, h);
        for (int row = 0; row < h; row++)
            System.arraycopy(src, srcOffset + row * srcStride, pixels, (y + row) * width + x, w);
    }

    /** Copies {@code w} x {@code h} pixels at (x, y) into {@code dst} (rows {@code dstStride} apart, from {@code dstOffset}). */
    public synchronized void read(int x, int y, int w, int h, int[] dst, int dstOffset, int dstStride) {
        check(x, y, w, h);
        for (int row = 0; row < h; row++)
            System.arraycopy(pixels, (y + row) * width + x, dst, dstOffset + row * dstStride, w);
    }

    /** Sets every pixel to {@code rgb}. */
    public synchronized void fill(int rgb) { Arrays.fill(pixels, rgb); }

    /** A copy of every pixel, row by row. */
    public synchronized int[] snapshot() { return pixels.clone(); }

    private void check(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w < 0 || h < 0 || x + w > width || y + h > height)
            throw new IndexOutOfBoundsException("rectangle " + w + "x" + h + "+" + x + "+" + y + " outside " + width + "x" + height);
    }
}
