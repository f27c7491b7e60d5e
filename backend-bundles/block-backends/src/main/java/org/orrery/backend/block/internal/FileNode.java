package org.orrery.backend.block.internal;

import org.orrery.backend.block.qcow2.HostFile;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code blockdev-file}: the file protocol node, a host file (or block device) read and written with
 * positional FileChannel I/O. {@code cache.no-flush} skips fsync; {@code cache.direct} is accepted (the page
 * cache is still used); {@code locking} takes a whole-file lock (shared when read-only) so two emulators
 * cannot write one image; {@code discard=unmap} is accepted, and discards are no-ops.
 */
final class FileNode extends BlockNode implements HostFile {
    static final Property<String> FILENAME = Property.of("filename", PropertyTypes.STR).required()
            .description("the host file");
    static final Property<Boolean> CACHE_DIRECT = Property.of("cache.direct", PropertyTypes.BOOL).defaultValue(false)
            .description("bypass the host page cache (accepted; I/O still goes through the page cache)");
    static final Property<Boolean> CACHE_NO_FLUSH = Property.of("cache.no-flush", PropertyTypes.BOOL).defaultValue(false)
            .description("ignore flush requests (unsafe: data may be lost on a host crash)");
    static final Property<String> LOCKING = Property.of("locking", PropertyTypes.enumOf("OnOffAuto", "auto", "on", "off"))
            .defaultValue("auto").description("lock the image against other writers");
    static final Property<String> DISCARD = Property.of("discard", PropertyTypes.enumOf("BlockdevDiscardOptions", "ignore", "unmap"))
            .defaultValue("ignore").description("what discard requests do (ignore; unmap is accepted and does nothing yet)");
    static final Property<String> AIO = Property.of("aio", PropertyTypes.enumOf("BlockdevAioOptions", "threads", "native", "io_uring"))
            .defaultValue("threads").description("accepted as QEMU has it; I/O always runs on a thread pool");

    private FileChannel channel;
    private ImageLocks.Held lock;
    private volatile long size;
    /** Format nodes reading this file: closed before it, so they can write their last metadata. */
    private final java.util.List<Runnable> beforeClose = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override protected void open() {
        Path p = Path.of(get(FILENAME));
        boolean ro = get(READ_ONLY);
        try {
            channel = ro ? FileChannel.open(p, StandardOpenOption.READ)
                    : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            size = channel.size();
        } catch (AccessDeniedException e) {
            throw new QomException("Could not open '" + p + "': Permission denied");
        } catch (NoSuchFileException e) {
            throw new QomException("Could not open '" + p + "': No such file or directory");
        } catch (FileSystemException e) {
            throw new QomException("Could not open '" + p + "': " + (e.getReason() != null ? e.getReason() : e.getMessage()));
        } catch (IOException e) {
            throw new QomException("Could not open '" + p + "': " + e.getMessage());
        }
        boolean share = get(FORCE_SHARE);
        if (share && !ro) {
            closeNode();
            throw new QomException("force-share=on can only be used with read-only images");
        }
        if (!get(LOCKING).equals("off") && !share) {
            lock = ImageLocks.acquire(p, channel, ro);
            if (lock == null) {
                closeNode();
                throw new QomException("Failed to get \"" + (ro ? "consistent read" : "write") + "\" lock: is another process using the image [" + p + "]?");
            }
        }
    }

    @Override protected void closeNode() {
        for (Runnable r : beforeClose) r.run();
        beforeClose.clear();
        if (lock != null) lock.release();
        lock = null;
        try {
            if (channel != null) channel.close();
        } catch (IOException ignored) { }
        channel = null;
    }

    @Override public long size() { return size; }

    @Override String driver() { return "file"; }

    @Override String filename() { return get(FILENAME); }

    @Override FileNode fileNode() { return this; }

    @Override protected void doRead(long offset, ByteBuffer dst) throws IOException { Overlay.readFully(channel(), dst, offset); }

    @Override protected void doWrite(long offset, ByteBuffer src) throws IOException { Overlay.writeFully(channel(), src, offset); }

    @Override protected void doFlush() throws IOException {
        if (!get(CACHE_NO_FLUSH)) channel().force(false);
    }

    @Override protected void doDiscard(long offset, long length) { }

    void onClose(Runnable r) { beforeClose.add(r); }

    void removeOnClose(Runnable r) { beforeClose.remove(r); }

    // ---- HostFile: what a format node (qcow2) reads and writes, growing the file ----

    @Override public void read(long offset, ByteBuffer dst) throws IOException { Overlay.readFully(channel(), dst, offset); }

    @Override public void write(long offset, ByteBuffer src) throws IOException {
        if (get(READ_ONLY)) throw new IOException("Block node '" + name() + "' is read-only");
        long end = offset + src.remaining();
        Overlay.writeFully(channel(), src, offset);
        synchronized (this) { if (end > size) size = end; }
    }

    @Override public void flush() throws IOException { doFlush(); }

    @Override public long length() throws IOException { return channel().size(); }

    @Override public void truncate(long length) throws IOException {
        if (get(READ_ONLY)) throw new IOException("Block node '" + name() + "' is read-only");
        channel().truncate(length);
        synchronized (this) { size = channel().size(); }
    }

    private FileChannel channel() throws IOException {
        FileChannel c = channel;
        if (c == null) throw new IOException("Block node '" + name() + "' is closed");
        return c;
    }
}
