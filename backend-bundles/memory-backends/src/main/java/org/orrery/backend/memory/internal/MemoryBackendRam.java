package org.orrery.backend.memory.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@code memory-backend-ram}: anonymous host memory, zero-filled, allocated lazily by the host. */
final class MemoryBackendRam extends MemoryBackendBase {
    @Override protected MemorySegment allocate(Arena arena, long size) throws NativeMemory.AllocationFailure {
        return NativeMemory.anonymous(arena, size, get(SHARE), get(RESERVE));
    }
}
