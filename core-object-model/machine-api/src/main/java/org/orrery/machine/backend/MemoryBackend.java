package org.orrery.machine.backend;

import java.lang.foreign.MemorySegment;

/** Memory a board maps as guest RAM (a memory-backend object). Valid once the object is realized. */
public interface MemoryBackend {
    MemorySegment segment();

    long size();

    /** Marks the backend as in use by a board so it cannot be deleted or resized under the guest. */
    void setMapped(boolean mapped);

    boolean isMapped();
}
