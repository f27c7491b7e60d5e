package org.orrery.device.testing;

import org.orrery.machine.backend.MemoryBackend;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A RAM backend for tests ("memory-backend-ram"). */
public final class TestRam extends QObject implements MemoryBackend {
    public static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).required();
    private MemorySegment segment;
    private boolean mapped;

    @Override protected void onRealize() { segment = Arena.ofAuto().allocate(get(SIZE), 4096); }
    @Override public MemorySegment segment() { return segment; }
    @Override public long size() { return get(SIZE); }
    @Override public void setMapped(boolean m) { mapped = m; }
    @Override public boolean isMapped() { return mapped; }
}
