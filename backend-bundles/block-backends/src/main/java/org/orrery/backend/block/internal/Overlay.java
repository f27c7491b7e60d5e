package org.orrery.backend.block.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * A snapshot overlay: written clusters (64 KiB) live in a sparse temporary file that is unlinked as soon as it
 * is open, so it vanishes with the process whatever happens; a bitmap says which clusters it holds.
 */
final class Overlay {
    static final int CLUSTER = 64 * 1024;

    interface Below { void read(long offset, ByteBuffer dst) throws IOException; }

    private final FileChannel tmp;
    private final BitSet present = new BitSet();
    private final long size;

    Overlay(long size) throws IOException {
        this.size = size;
        Path p = Files.createTempFile("orrery-snapshot-", ".overlay");
        tmp = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Files.delete(p);
    }

    synchronized void read(long offset, ByteBuffer dst, Below below) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            long cluster = pos / CLUSTER;
            int n = (int) Math.min(dst.remaining(), (cluster + 1) * CLUSTER - pos);
            ByteBuffer part = dst.slice(dst.position(), n);
            if (present.get((int) cluster)) readFully(tmp, part, pos);
            else below.read(pos, part);
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    synchronized void write(long offset, ByteBuffer src, Below below) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            long cluster = pos / CLUSTER;
            long start = cluster * CLUSTER;
            int n = (int) Math.min(src.remaining(), start + CLUSTER - pos);
            if (!present.get((int) cluster)) {
                // copy the cluster up first, so the parts this write leaves alone keep their contents
                int len = (int) Math.min(CLUSTER, size - start);
                if (n < len) {
                    ByteBuffer whole = ByteBuffer.allocate(len);
                    below.read(start, whole);
                    whole.flip();
                    writeFully(tmp, whole, start);
                }
                present.set((int) cluster);
            }
            ByteBuffer part = src.slice(src.position(), n);
            writeFully(tmp, part, pos);
            src.position(src.position() + n);
            pos += n;
        }
    }

    void close() {
        try { tmp.close(); } catch (IOException ignored) { }
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) { // beyond the end of the file: zeros, as a sparse image reads
                while (dst.hasRemaining()) dst.put((byte) 0);
                return;
            }
            pos += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        while (src.hasRemaining()) pos += ch.write(src, pos);
    }
}
