package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The file under an image, addressed by byte offset. Reads past the end give zeros; writes past it extend it. */
public interface HostFile {
    void read(long offset, ByteBuffer dst) throws IOException;

    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes everything written so far durable. */
    void flush() throws IOException;

    long length() throws IOException;

    void truncate(long length) throws IOException;
}
