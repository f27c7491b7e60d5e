package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A host file for tests: a FileChannel, zeros past the end. */
final class ChannelFile implements HostFile, AutoCloseable {
    final FileChannel channel;

    ChannelFile(Path p, boolean writable) throws IOException {
        channel = writable ? FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
                : FileChannel.open(p, StandardOpenOption.READ);
    }

    @Override public void read(long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, offset);
            if (n < 0) { while (dst.hasRemaining()) dst.put((byte) 0); return; }
            offset += n;
        }
    }

    @Override public void write(long offset, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) offset += channel.write(src, offset);
    }

    @Override public void flush() throws IOException { channel.force(false); }

    @Override public long length() throws IOException { return channel.size(); }

    @Override public void truncate(long length) throws IOException { channel.truncate(length); }

    @Override public void close() throws IOException { channel.close(); }
}
