package org.orrery.cpu.riscv.internal;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Loads and stores by host address: the access both engines make after a TLB hit (guest RAM and ROM,
 * little-endian, aligned by the TLB's tag compare).
 *
 * <p>Why not only the FFM {@code VarHandle}s of {@link Mmu}: HotSpot's C2 folds them to one instruction, but
 * code that runs in C1's profiling tier (every translated region before C2 takes it, which for a boot's
 * lukewarm code is most of its life) calls through their guard and layout layers on every access, about six
 * times slower than a plain access (measured: ~21 ns against ~3.7 ns). {@code sun.misc.Unsafe}'s raw-address
 * accessors are intrinsics in every tier. They are deprecated for removal, so they are used only where they
 * work here: the JVM lets them run (./orrery and the tests pass {@code --sun-misc-unsafe-memory-access=allow};
 * under {@code deny} they throw, found by a probe) and the host is little-endian like the guest. Otherwise every access takes the {@code VarHandle} path, which is always
 * correct. The choice is a constant, so compiled code keeps one of the two paths.
 */
final class HostMemory {
    private HostMemory() { }

    /** The raw accessors when usable, else null. */
    private static final sun.misc.Unsafe UNSAFE = usableUnsafe();

    static byte get8(long address) {
        return UNSAFE != null ? UNSAFE.getByte(address) : (byte) Mmu.VH8.get(Mmu.HOST, address);
    }

    static short get16(long address) {
        return UNSAFE != null ? UNSAFE.getShort(address) : (short) Mmu.VH16.get(Mmu.HOST, address);
    }

    static int get32(long address) {
        return UNSAFE != null ? UNSAFE.getInt(address) : (int) Mmu.VH32.get(Mmu.HOST, address);
    }

    static long get64(long address) {
        return UNSAFE != null ? UNSAFE.getLong(address) : (long) Mmu.VH64.get(Mmu.HOST, address);
    }

    static void put8(long address, byte v) {
        if (UNSAFE != null) UNSAFE.putByte(address, v); else Mmu.VH8.set(Mmu.HOST, address, v);
    }

    static void put16(long address, short v) {
        if (UNSAFE != null) UNSAFE.putShort(address, v); else Mmu.VH16.set(Mmu.HOST, address, v);
    }

    static void put32(long address, int v) {
        if (UNSAFE != null) UNSAFE.putInt(address, v); else Mmu.VH32.set(Mmu.HOST, address, v);
    }

    static void put64(long address, long v) {
        if (UNSAFE != null) UNSAFE.putLong(address, v); else Mmu.VH64.set(Mmu.HOST, address, v);
    }

    // ---- the A extension by host address (translated code, and Atomics for both engines): each one atomic
    // read-modify-write of host memory, lock-prefixed on x86 and so also a full fence ----

    /** LR's load: a volatile read, so it is not reordered with what the guest does after it. */
    static long getVolatile64(long address) {
        return UNSAFE != null ? UNSAFE.getLongVolatile(null, address) : (long) Atomics.AVH64.getVolatile(Mmu.HOST, address);
    }

    static int getVolatile32(long address) {
        return UNSAFE != null ? UNSAFE.getIntVolatile(null, address) : (int) Atomics.AVH32.getVolatile(Mmu.HOST, address);
    }

    /** SC's store: succeeds only if the word still holds {@code expected}. */
    static boolean compareAndSet64(long address, long expected, long value) {
        return UNSAFE != null ? UNSAFE.compareAndSwapLong(null, address, expected, value)
                : Atomics.AVH64.compareAndSet(Mmu.HOST, address, expected, value);
    }

    static boolean compareAndSet32(long address, int expected, int value) {
        return UNSAFE != null ? UNSAFE.compareAndSwapInt(null, address, expected, value)
                : Atomics.AVH32.compareAndSet(Mmu.HOST, address, expected, value);
    }

    /** The AMO {@code funct} (an Op.AMO* function) on a doubleword; returns the old value. */
    static long amo64(long address, int funct, long operand) {
        if (UNSAFE == null) return Atomics.amo64(Mmu.HOST, address, funct, operand);
        if (funct == Op.AMOADD) return UNSAFE.getAndAddLong(null, address, operand);
        if (funct == Op.AMOSWAP) return UNSAFE.getAndSetLong(null, address, operand);
        while (true) {
            long old = UNSAFE.getLongVolatile(null, address);
            if (UNSAFE.compareAndSwapLong(null, address, old, Atomics.combine64(funct, old, operand))) return old;
        }
    }

    /** The AMO {@code funct} on a word; returns the old value. */
    static int amo32(long address, int funct, int operand) {
        if (UNSAFE == null) return (int) Atomics.amo32(Mmu.HOST, address, funct, operand);
        if (funct == Op.AMOADD) return UNSAFE.getAndAddInt(null, address, operand);
        if (funct == Op.AMOSWAP) return UNSAFE.getAndSetInt(null, address, operand);
        while (true) {
            int old = UNSAFE.getIntVolatile(null, address);
            if (UNSAFE.compareAndSwapInt(null, address, old, Atomics.combine32(funct, old, operand))) return old;
        }
    }

    private static sun.misc.Unsafe usableUnsafe() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) return null;
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
            long probe = u.allocateMemory(8);   // throws when the JVM denies memory access
            try {
                u.putLong(probe, 0x0102030405060708L);
                if (u.getByte(probe) != 0x08) return null;
            } finally {
                u.freeMemory(probe);
            }
            return u;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
