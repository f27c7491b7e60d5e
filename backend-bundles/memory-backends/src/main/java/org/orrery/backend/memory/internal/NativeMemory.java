package org.orrery.backend.memory.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Anonymous memory from the kernel (mmap), so guest RAM of any size costs nothing until the guest touches
 * it: Arena.allocate would zero, and so touch, every page. When the kernel refuses, the caller is told why
 * (errno, as strerror words it), never handed an Error. Falls back to the arena when the native call is
 * not available (another OS, native access denied).
 */
final class NativeMemory {
    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    /** mmap(addr, length, prot, flags, fd, offset) with addresses as plain longs: the cheapest handle to link. */
    private static final FunctionDescriptor MMAP_FUNCTION = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG);
    private static final MethodHandle MMAP = libc("mmap", MMAP_FUNCTION);

    /**
     * Linked on first use: the linker spins classes for every handle, and building a machine needs only mmap
     * (memory goes back at the end, a call fails rarely), so a start links one handle instead of four. A failed
     * mmap is made again through the handle that captures errno, to say why.
     */
    private static final class Later {
        static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle MMAP_WITH_ERRNO = libc("mmap", MMAP_FUNCTION, Linker.Option.captureCallState("errno"));
        static final MethodHandle MUNMAP = libc("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG));
        static final MethodHandle STRERROR = libc("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** The host would not give the memory; the message is the reason in the C library's words. */
    static final class AllocationFailure extends Exception {
        AllocationFailure(String reason) { super(reason, null, false, false); }
    }

    /** A downcall to the C library's {@code name}, or null when there is none (not Linux, native access denied). */
    private static MethodHandle libc(String name, FunctionDescriptor function, Linker.Option... options) {
        try {
            if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), function, options);
        } catch (Throwable e) {
            return null;
        }
    }

    private NativeMemory() { }

    /**
     * Makes one mmap call that maps nothing (a length of 0 is refused with EINVAL), so the invoker behind
     * {@code invokeExact} is linked before the board's first allocation: NativeMemoryPreparation calls it on its
     * own thread, where it costs the command line's thread nothing.
     */
    static void linkCall() {
        if (MMAP == null) return;
        try {
            long ignored = (long) MMAP.invokeExact(0L, 0L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            // the first allocation reports what is wrong
        }
    }

    /** Zero-filled memory of {@code size} bytes, unmapped when {@code arena} closes. */
    static MemorySegment anonymous(Arena arena, long size, boolean shared, boolean reserve) throws AllocationFailure {
        if (MMAP != null) {
            int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (reserve ? 0 : MAP_NORESERVE);
            int errno = 0;
            try {
                long p = (long) MMAP.invokeExact(0L, size, PROT_READ | PROT_WRITE, flags, -1, 0L);
                if (p == -1L || p == 0L) {
                    // refused: the same call again through the handle that captures errno, to say why
                    long[] again = mapCapturingErrno(size, flags);
                    p = again[0];
                    errno = (int) again[1];
                }
                if (p != -1L && p != 0L) {
                    long len = size;
                    return MemorySegment.ofAddress(p).reinterpret(size, arena, seg -> unmap(seg, len));
                }
            } catch (Throwable e) {
                errno = -1;  // the call itself failed: try the arena below
            }
            if (errno > 0) throw new AllocationFailure(strerror(errno));
        }
        try {
            return arena.allocate(size, 4096);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            throw new AllocationFailure("Cannot allocate memory");
        }
    }

    /** mmap through the handle that captures errno: the address (-1 when refused) and errno. */
    private static long[] mapCapturingErrno(long size, int flags) throws Throwable {
        if (Later.MMAP_WITH_ERRNO == null) return new long[] {-1L, -1L};
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(Later.CALL_STATE);
            long p = (long) Later.MMAP_WITH_ERRNO.invokeExact(state, 0L, size, PROT_READ | PROT_WRITE, flags, -1, 0L);
            return new long[] {p, p == -1L || p == 0L ? (int) Later.ERRNO.get(state, 0L) : 0};
        }
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) Later.STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (Throwable e) {
            return "error " + errno;
        }
    }

    private static void unmap(MemorySegment seg, long len) {
        try {
            int rc = (int) Later.MUNMAP.invokeExact(seg, len);
            if (rc != 0) throw new IllegalStateException("munmap failed");
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
