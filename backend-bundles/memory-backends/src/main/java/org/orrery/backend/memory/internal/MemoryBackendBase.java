package org.orrery.backend.memory.internal;

import org.orrery.machine.backend.MemoryBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.logging.Logger;

/**
 * The abstract {@code memory-backend}: a block of host memory a board maps as guest RAM. Subclasses say how
 * the memory is obtained; this class owns the arena, so finalizing the object releases the memory.
 */
abstract class MemoryBackendBase extends QObject implements MemoryBackend {
    private static final Logger LOG = Logger.getLogger(MemoryBackendBase.class.getName());
    static final long PAGE = 4096;

    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).required()
            .description("size of the memory region in bytes (set before the object is complete)");
    static final Property<Boolean> PREALLOC = Property.of("prealloc", PropertyTypes.BOOL).defaultValue(false)
            .description("touch every page when the backend is created, so the guest never waits for the host to allocate");
    static final Property<Boolean> SHARE = Property.of("share", PropertyTypes.BOOL).defaultValue(false)
            .description("map the memory shared (MAP_SHARED): other processes mapping the same memory see the guest's writes");
    static final Property<Boolean> DUMP = Property.of("dump", PropertyTypes.BOOL).defaultValue(true)
            .description("include the memory in core dumps (accepted as QEMU has it; no effect here)");
    static final Property<Boolean> MERGE = Property.of("merge", PropertyTypes.BOOL).defaultValue(true)
            .description("allow the host to merge identical pages (accepted as QEMU has it; no effect here)");
    static final Property<Boolean> RESERVE = Property.of("reserve", PropertyTypes.BOOL).defaultValue(true)
            .description("reserve swap space for the memory; off maps it with MAP_NORESERVE");

    private Arena arena;
    private MemorySegment segment;
    private volatile boolean mapped;

    @Override protected void onRealize() {
        long size = get(SIZE);
        if (size == 0) throw new QomException("property 'size' of " + type().name() + " must not be zero");
        Arena a = Arena.ofShared();
        try {
            MemorySegment s;
            try {
                s = allocate(a, size);
            } catch (NativeMemory.AllocationFailure e) {
                throw new QomException("cannot set up guest memory '" + name() + "': " + e.getMessage()
                        + " (asked for " + HostMemory.format(size) + "; " + HostMemory.describe() + ")");
            }
            if (get(PREALLOC)) for (long off = 0; off < size; off += PAGE) s.set(ValueLayout.JAVA_BYTE, off, s.get(ValueLayout.JAVA_BYTE, off));
            arena = a;
            segment = s;
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /** Obtains {@code size} zero-filled bytes whose lifetime is {@code arena}'s. */
    protected abstract MemorySegment allocate(Arena arena, long size) throws NativeMemory.AllocationFailure;

    @Override protected void onUnrealize() { release(); }

    @Override protected void onFinalize() { release(); }

    private void release() {
        if (arena == null) return;
        if (mapped) {
            // the board still maps this memory: keeping it is safer than pulling RAM from under the guest
            // (the mapping then lives as long as the process: a leak, never a crash)
            LOG.warning(describe() + " was removed while mapped as guest RAM; its memory is kept until the process exits");
            arena = null;
            return;
        }
        segment = null;
        Arena a = arena;
        arena = null;
        a.close();
    }

    @Override public MemorySegment segment() {
        if (segment == null) throw new QomException(describe() + " is not complete (realize it first)");
        return segment;
    }

    @Override public long size() { return get(SIZE); }

    @Override public void setMapped(boolean mapped) { this.mapped = mapped; }

    @Override public boolean isMapped() { return mapped; }

}
