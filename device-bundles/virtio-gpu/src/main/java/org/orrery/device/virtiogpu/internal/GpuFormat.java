package org.orrery.device.virtiogpu.internal;

/**
 * The 2D resource formats of virtio-gpu (virtio 1.2, 5.7.6.8). Each is 4 bytes a pixel and named after its bytes in
 * memory order (B8G8R8X8 is B, G, R, X); the offsets say where red, green and blue are.
 */
enum GpuFormat {
    B8G8R8A8(1, 2, 1, 0),
    B8G8R8X8(2, 2, 1, 0),
    A8R8G8B8(3, 1, 2, 3),
    X8R8G8B8(4, 1, 2, 3),
    R8G8B8A8(67, 0, 1, 2),
    X8B8G8R8(68, 3, 2, 1),
    A8B8G8R8(121, 3, 2, 1),
    R8G8B8X8(134, 0, 1, 2);

    static final int BYTES_PER_PIXEL = 4;

    final int code;
    final int red, green, blue;

    GpuFormat(int code, int red, int green, int blue) {
        this.code = code;
        this.red = red;
        this.green = green;
        this.blue = blue;
    }

    /** The format with this code, or null. */
    static GpuFormat of(int code) {
        for (GpuFormat f : values()) if (f.code == code) return f;
        return null;
    }

    /** The pixel at byte {@code at} of {@code bytes} as 0x00RRGGBB. */
    int rgb(byte[] bytes, int at) {
        return (bytes[at + red] & 0xff) << 16 | (bytes[at + green] & 0xff) << 8 | (bytes[at + blue] & 0xff);
    }
}
