package org.orrery.backend.block.internal;

import org.orrery.machine.backend.BlockBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The abstract {@code block-node}: a node of the block graph at {@code /blockdevs/NODE-NAME}, and the
 * {@link BlockBackend} devices use (a device's {@code drive} property links to one). Requests run on the
 * node's I/O threads as positional reads and writes; completions are posted to the machine thread.
 * Synchronous access ({@link #readAt} ...) is what parent nodes use on those same threads.
 *
 * <p>With {@code snapshot=on}, writes go to a temporary overlay (a sparse, unlinked file of 64 KiB
 * clusters) and reads come from it where written; the overlay is discarded when the node goes.
 */
abstract class BlockNode extends QObject implements BlockBackend {
    static final Property<Boolean> READ_ONLY = Property.of("read-only", PropertyTypes.BOOL).defaultValue(false)
            .description("refuse writes (devices see an I/O error)");
    static final Property<Boolean> AUTO_READ_ONLY = Property.of("auto-read-only", PropertyTypes.BOOL).defaultValue(false)
            .description("accepted as QEMU has it (libvirt sets it); no effect here");
    static final Property<Boolean> FORCE_SHARE = Property.of("force-share", PropertyTypes.BOOL).defaultValue(false)
            .description("do not take image locks (only with read-only=on)");
    static final Property<String> DETECT_ZEROES = Property.of("detect-zeroes", PropertyTypes.enumOf("BlockdevDetectZeroesOptions", "off"))
            .defaultValue("off").description("only 'off' is implemented");
    static final Property<Boolean> SNAPSHOT = Property.of("snapshot", PropertyTypes.BOOL).defaultValue(false)
            .description("send writes to a temporary overlay that is discarded when the node goes (-snapshot)");
    static final Property<Boolean> WRITE_THROUGH = Property.of("write-through", PropertyTypes.BOOL).defaultValue(false)
            .description("flush after every write (cache=writethrough or directsync)");


    private ExecutorService io;
    /** Requests submitted to the I/O threads and not yet finished there; see {@link #drain}. */
    private int inFlight;
    private Overlay overlay;
    /** The -drive id when x-drive-add made this node the drive's format node (query-block lists it by that name). */
    String driveId;
    /** Nodes this one created for an inline child definition; deleted with it. */
    final java.util.List<BlockNode> ownedChildren = new java.util.ArrayList<>();

    // ---- lifecycle ----

    @Override protected final void onRealize() {
        open();
        if (get(SNAPSHOT)) {
            try {
                overlay = new Overlay(size());
            } catch (IOException e) {
                closeNode();
                throw new QomException("Could not create the snapshot overlay for node '" + name() + "': " + e.getMessage());
            }
        }
    }

    /** Opens files and children; throws {@link QomException} to refuse. */
    protected abstract void open();

    /** Releases what {@link #open()} took. */
    protected abstract void closeNode();

    @Override protected final void onUnrealize() { shutdown(); }

    @Override protected final void onFinalize() { shutdown(); }

    private void shutdown() {
        ExecutorService e = io;
        io = null;
        if (e != null) {
            e.shutdown(); // requests already queued still complete
            try {
                if (!e.awaitTermination(10, TimeUnit.SECONDS)) e.shutdownNow();
            } catch (InterruptedException ex) {
                e.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (overlay != null) {
            overlay.close();
            overlay = null;
        }
        closeNode();
    }

    // ---- what the node is ----

    /** The driver name (QEMU's "drv"): file or raw. */
    abstract String driver();

    /** The image file at the bottom of this node. */
    abstract String filename();

    /** The protocol node at the bottom (for cache flags). */
    abstract FileNode fileNode();

    @Override public boolean isReadOnly() { return get(READ_ONLY) && !get(SNAPSHOT); }

    boolean writeThrough() { return get(WRITE_THROUGH); }

    // ---- synchronous I/O, on I/O threads ----

    protected abstract void doRead(long offset, ByteBuffer dst) throws IOException;

    protected abstract void doWrite(long offset, ByteBuffer src) throws IOException;

    protected abstract void doFlush() throws IOException;

    protected abstract void doDiscard(long offset, long length) throws IOException;

    private void check(long offset, long length) throws IOException {
        if (!isRealized()) throw new IOException("Block node '" + name() + "' is closed");
        if (offset < 0 || length < 0 || offset > size() || size() - offset < length)
            throw new IOException("Request out of range: " + length + " bytes at " + offset + " on node '" + name() + "' of " + size() + " bytes");
    }

    final void readAt(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        Overlay o = overlay;
        if (o != null) o.read(offset, dst, this::doRead);
        else doRead(offset, dst);
    }

    final void writeAt(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining());
        Overlay o = overlay;
        if (o != null) {
            o.write(offset, src, this::doRead);
            return;
        }
        if (get(READ_ONLY)) throw new IOException("Block node '" + name() + "' is read-only");
        doWrite(offset, src);
        if (writeThrough()) doFlush();
    }

    final void flushNow() throws IOException {
        if (overlay != null) return; // nothing of a snapshot is meant to last
        if (get(READ_ONLY)) return;
        doFlush();
    }

    final void discardAt(long offset, long length) throws IOException {
        check(offset, length);
        if (overlay != null) return;
        if (get(READ_ONLY)) throw new IOException("Block node '" + name() + "' is read-only");
        doDiscard(offset, length);
    }

    // ---- BlockBackend: asynchronous, completions on the machine thread ----

    private interface Io { void run() throws IOException; }

    private void submit(Io op, Completion done) {
        ExecutorService e = executor();
        Runnable task = () -> {
            Throwable err = null;
            try {
                op.run();
            } catch (IOException | RuntimeException ex) {
                err = ex;
            } finally {
                finished();
            }
            Throwable result = err;
            try {
                tree().safePoint().post(() -> done.completed(result));
            } catch (RuntimeException gone) {
                // the machine went away before the request finished
            }
        };
        started();
        try {
            e.execute(task);
        } catch (RejectedExecutionException | NullPointerException ex) {
            finished();
            IOException closed = new IOException("Block node '" + name() + "' is closed");
            tree().safePoint().post(() -> done.completed(closed));
        }
    }

    private synchronized void started() { inFlight++; }

    private synchronized void finished() {
        if (--inFlight == 0) notifyAll();
    }

    /**
     * Waits until every request already submitted has finished on the I/O threads (their completions may still
     * be queued for the machine thread). Called on the machine thread, which submits no more meanwhile.
     */
    final synchronized void drain() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IOException("Block node '" + name() + "': " + inFlight + " requests did not finish within 60 s");
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Block node '" + name() + "': interrupted while waiting for its requests", e);
        }
    }

    /** True when writes go to a temporary overlay (snapshot=on). */
    final boolean hasOverlay() { return overlay != null; }

    private synchronized ExecutorService executor() {
        if (io == null && isRealized()) {
            String prefix = "block-" + name() + "-io-";
            AtomicInteger n = new AtomicInteger();
            io = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, prefix + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return io;
    }

    @Override public void read(long offset, ByteBuffer dst, Completion done) { submit(() -> readAt(offset, dst), done); }

    @Override public void write(long offset, ByteBuffer src, Completion done) { submit(() -> writeAt(offset, src), done); }

    @Override public void flush(Completion done) { submit(this::flushNow, done); }

    @Override public void discard(long offset, long length, Completion done) { submit(() -> discardAt(offset, length), done); }
}
