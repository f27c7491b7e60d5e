package org.orrery.device.testing;

import org.orrery.machine.backend.BlockBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Queue;

/**
 * An in-memory block node (registered under the name tests give, "block-node" by default). Completions
 * are queued and delivered by {@link #complete()}, so tests see the asynchronous path devices must handle.
 */
public final class MemoryBlockNode extends QObject implements BlockBackend {
    public static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).defaultValue(1L << 20);
    public static final Property<Boolean> READ_ONLY = Property.of("read-only", PropertyTypes.BOOL).defaultValue(false);

    private byte[] data;
    private final Queue<Runnable> pending = new ArrayDeque<>();
    private int flushes;

    public byte[] data() {
        if (data == null) data = new byte[(int) (long) get(SIZE)];
        return data;
    }

    public int flushes() { return flushes; }

    /** Delivers every queued completion; returns how many. */
    public int complete() {
        int n = 0;
        Runnable r;
        while ((r = pending.poll()) != null) { r.run(); n++; }
        return n;
    }

    public int pendingCompletions() { return pending.size(); }

    @Override public long size() { return get(SIZE); }
    @Override public boolean isReadOnly() { return get(READ_ONLY); }

    @Override public void read(long offset, ByteBuffer dst, Completion done) {
        int n = dst.remaining();
        if (offset < 0 || offset + n > size()) { pending.add(() -> done.completed(new java.io.IOException("out of range"))); return; }
        dst.put(Arrays.copyOfRange(data(), (int) offset, (int) offset + n));
        pending.add(() -> done.completed(null));
    }

    @Override public void write(long offset, ByteBuffer src, Completion done) {
        int n = src.remaining();
        if (isReadOnly() || offset < 0 || offset + n > size()) { pending.add(() -> done.completed(new java.io.IOException("refused"))); return; }
        src.get(data(), (int) offset, n);
        pending.add(() -> done.completed(null));
    }

    @Override public void flush(Completion done) { flushes++; pending.add(() -> done.completed(null)); }

    @Override public void discard(long offset, long length, Completion done) { pending.add(() -> done.completed(null)); }
}
