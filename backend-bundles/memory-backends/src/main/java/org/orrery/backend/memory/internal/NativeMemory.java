package org.orrery.backend.memory.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Anonymous memory from the kernel (mmap), so guest RAM of any size costs nothing until the guest touches
 * it: Arena.allocate would zero, and so touch, every page. Falls back to the arena when the native call is
 * not available (another OS, native access denied).
 */
final class NativeMemory {
    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    private static final MethodHandle MMAP, MUNMAP;

    static {
        MethodHandle mmap = null, munmap = null;
        try {
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            }
        } catch (Throwable e) {
            mmap = null;
            munmap = null;
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    private NativeMemory() { }

    /** Zero-filled memory of {@code size} bytes, unmapped when {@code arena} closes. */
    static MemorySegment anonymous(Arena arena, long size, boolean shared, boolean reserve) {
        if (MMAP != null) {
            try {
                int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (reserve ? 0 : MAP_NORESERVE);
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0L);
                if (p.address() != -1L && p.address() != 0L) {
                    long len = size;
                    return p.reinterpret(size, arena, seg -> unmap(seg, len));
                }
            } catch (Throwable e) {
                // fall through to the arena
            }
        }
        return arena.allocate(size, 4096);
    }

    private static void unmap(MemorySegment seg, long len) {
        try {
            int rc = (int) MUNMAP.invokeExact(seg, len);
            if (rc != 0) throw new IllegalStateException("munmap failed");
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
