package org.orrery.backend.chardev.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@code chardev-file}: output goes to {@code path} (truncated, or appended to); input optionally comes from {@code in}. */
final class FileChardev extends QueuedChardev {
    static final Property<String> PATH = Property.of("path", PropertyTypes.STR).required()
            .description("the file output is written to");
    static final Property<String> IN = Property.of("in", PropertyTypes.STR)
            .description("a file (or fifo) input is read from; none by default");
    static final Property<Boolean> APPEND = Property.of("append", PropertyTypes.BOOL).defaultValue(false)
            .description("append to the file instead of truncating it");

    private FileChannel file;
    private InputStream input;

    @Override protected void open() {
        Path p = Path.of(get(PATH));
        try {
            file = get(APPEND)
                    ? FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                    : FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new QomException("Could not open '" + p + "': " + Errors.reason(e));
        } catch (UnsupportedOperationException | SecurityException e) {
            throw new QomException("Could not open '" + p + "': " + e.getMessage());
        }
        if (get(IN) != null) {
            Path in = Path.of(get(IN));
            try {
                input = Files.newInputStream(in);
            } catch (IOException e) {
                throw new QomException("Could not open '" + in + "': " + Errors.reason(e));
            }
            startThread("in", this::readInput);
        }
        startWriter();
    }

    private void readInput() {
        byte[] buf = new byte[4096];
        try {
            int n;
            while (!closing && (n = input.read(buf)) > 0) if (!received(buf, 0, n)) return;
        } catch (IOException e) {
            // closed, or the input went away: no more input, as for QEMU
        }
    }

    @Override protected void sink(byte[] data, int offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data, offset, length);
        while (b.hasRemaining()) file.write(b);
    }

    @Override protected void close() {
        super.close();
        try {
            if (input != null) input.close();
        } catch (IOException ignored) { }
    }

    @Override protected void onClosed() {
        try {
            if (file != null) file.close();
        } catch (IOException ignored) { }
    }

    @Override String filename() { return "file"; }
}
