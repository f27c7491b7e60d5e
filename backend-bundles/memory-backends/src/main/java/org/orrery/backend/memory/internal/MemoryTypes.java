package org.orrery.backend.memory.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The memory backend types this bundle contributes. */
public final class MemoryTypes {
    private MemoryTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Base implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("memory-backend").parent("object").abstractType().implementing("user-creatable")
                    .description("Host memory a board maps as guest RAM")
                    .properties(MemoryBackendBase.SIZE, MemoryBackendBase.PREALLOC, MemoryBackendBase.SHARE,
                            MemoryBackendBase.DUMP, MemoryBackendBase.MERGE, MemoryBackendBase.RESERVE);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Ram implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("memory-backend-ram").parent("memory-backend")
                    .description("Anonymous host memory, allocated lazily and zero-filled")
                    .creates(MemoryBackendRam::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class File implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("memory-backend-file").parent("memory-backend")
                    .description("Guest RAM mapped from a file (share=on: MAP_SHARED, visible to other processes)")
                    .properties(MemoryBackendFile.MEM_PATH, MemoryBackendFile.READONLY, MemoryBackendFile.DISCARD_DATA,
                            MemoryBackendFile.ALIGN)
                    .creates(MemoryBackendFile::new);
        }
    }
}
