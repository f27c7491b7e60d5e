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
