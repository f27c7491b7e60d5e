package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;

/** What an image reads where it holds no data of its own: its backing image, or nothing. */
public interface BackingImage {
    long size();

    /** Reads {@code dst.remaining()} bytes at {@code offset}, which lies inside {@link #size()}. */
    void read(long offset, ByteBuffer dst) throws IOException;
}
