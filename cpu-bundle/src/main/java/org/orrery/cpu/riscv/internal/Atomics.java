package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.Section;

/**
 * The A extension: LR/SC with a reservation on the physical address and value, and the AMOs, all on RAM
 * only (an AMO to MMIO raises an access fault). Atomic across harts: every AMO is one atomic read-modify-write
 * of host memory (lock-prefixed on x86, so also a full fence), SC a compare-and-swap against what LR read.
 */
final class Atomics {
    private final RiscvHart h;

    Atomics(RiscvHart h) { this.h = h; }

    void execute(int w, int funct) {
        long[] x = h.x;
        Mmu m = h.mmu;
        int rd = Op.rd(w), rs1 = Op.rs1(w), rs2 = Op.rs2(w);
        boolean dbl = (w & 0xff) == Op.AMO_D;
        int size = dbl ? 8 : 4;
        long va = x[rs1] & h.amask;
        if ((va & (size - 1)) != 0) { h.raise(funct == Op.LR ? C_LMISALIGN : C_SMISALIGN, va); return; }
        int ep = m.dataPriv();
        int ti = m.dataIndex(va), pi = ti >> 1;
        if (funct == Op.LR) {
            long pa, v;
            if (m.rTlb[ti] == (va & Mmu.M1)) {
                pa = m.rPa[pi] | (va & 0xfff);
                long address = m.rTlb[ti + 1] + va;
                v = dbl ? HostMemory.getVolatile64(address) : HostMemory.getVolatile32(address);
            } else {
                pa = m.translate(va, Mmu.ACC_LOAD, ep, true);
                if (pa == -1) return;
                Section s = h.bus.find(pa);
                if (s == null || s.isMmio() || !s.contains(pa + size - 1) || !m.pmpAllows(pa, size, Mmu.ACC_LOAD, ep)) { h.raise(C_LACCESS, va); return; }
                if (h.watching() && h.watchCheck(va, size, false)) return;
                long off = s.regionOffset() + (pa - s.start());
                v = AddressSpace.load(s.segment(), off, size);
                m.mapForLoads(va, pa, s, off, ep); // translated code's LR then runs inline
            }
            h.resAddr = pa; h.resSize = size; h.resValue = v;
            x[rd] = dbl ? v : (int) v;
            return;
        }
        long pa, off;
        MemorySegment seg;
        Section section = null;
        boolean tlbHit = m.wTlb[ti] == (va & Mmu.M1);  // write-TLB pages never hold decoded code
        if (tlbHit) {
            pa = m.wPa[pi] | (va & 0xfff);
            seg = Mmu.HOST;
            off = m.wTlb[ti + 1] + va;
        } else {
            pa = m.translate(va, Mmu.ACC_STORE, ep, true);
            if (pa == -1) return;
            Section s = h.bus.find(pa);
            if (s == null || s.isMmio() || s.isRom() || !s.contains(pa + size - 1) || !m.pmpAllows(pa, size, Mmu.ACC_STORE, ep)) { h.raise(C_SACCESS, va); return; }
            off = s.regionOffset() + (pa - s.start());
            seg = s.segment();
            section = s;
            if (h.watching() && h.watchCheck(va, size, true)) return;
        }
        if (!seg.isNative()) { h.raise(C_SACCESS, va); return; } // guest RAM is native memory; atomics need it
        // by host address, through the same helpers translated code calls: a memory segment's VarHandles cost
        // microseconds a call until HotSpot has compiled their chain, which a guest's first atomics pay
        long address = seg == Mmu.HOST ? off : seg.address() + off;
        long src = x[rs2];
        if (funct == Op.SC) {
            // succeeds if the reserved word still holds what LR read, compared and swapped atomically (as
            // QEMU's cmpxchg does): a store by any hart in between fails it, unless it wrote the same value
            boolean ok = h.resAddr == pa && h.resSize == size
                    && (dbl ? HostMemory.compareAndSet64(address, h.resValue, src) : HostMemory.compareAndSet32(address, (int) h.resValue, (int) src));
            h.resAddr = -1;
            if (ok && !tlbHit) stored(va, pa, section, off, size, ep);
            x[rd] = ok ? 0 : 1;
            return;
        }
        long old = dbl ? HostMemory.amo64(address, funct, src) : HostMemory.amo32(address, funct, (int) src);
        if (!tlbHit) stored(va, pa, section, off, size, ep);
        if (h.resAddr != -1 && h.resAddr == pa) h.resAddr = -1;
        x[rd] = old;
    }

    /** After a store through the slow path: code there is dropped, or else the page is mapped for fast stores (and translated code's AMOs). */
    private void stored(long va, long pa, Section s, long off, int size, int ep) {
        Mmu m = h.mmu;
        m.codeStored(pa, size);
        m.mapForStores(va, pa, s, off, ep);
    }

    /** Naturally aligned little-endian words with atomic access modes (harts on other threads use them too). */
    static final VarHandle AVH64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle(),
        AVH32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /** The AMO on a doubleword; returns the old value. */
    static long amo64(MemorySegment seg, long off, int funct, long b) {
        switch (funct) {
            case Op.AMOSWAP: return (long) AVH64.getAndSet(seg, off, b);
            case Op.AMOADD: return (long) AVH64.getAndAdd(seg, off, b);
            case Op.AMOXOR: return (long) AVH64.getAndBitwiseXor(seg, off, b);
            case Op.AMOAND: return (long) AVH64.getAndBitwiseAnd(seg, off, b);
            case Op.AMOOR: return (long) AVH64.getAndBitwiseOr(seg, off, b);
            default:
                while (true) {
                    long a = (long) AVH64.getVolatile(seg, off);
                    if (AVH64.compareAndSet(seg, off, a, combine64(funct, a, b))) return a;
                }
        }
    }

    /** The AMO on a word; returns the old value, sign-extended. */
    static long amo32(MemorySegment seg, long off, int funct, int b) {
        switch (funct) {
            case Op.AMOSWAP: return (int) AVH32.getAndSet(seg, off, b);
            case Op.AMOADD: return (int) AVH32.getAndAdd(seg, off, b);
            case Op.AMOXOR: return (int) AVH32.getAndBitwiseXor(seg, off, b);
            case Op.AMOAND: return (int) AVH32.getAndBitwiseAnd(seg, off, b);
            case Op.AMOOR: return (int) AVH32.getAndBitwiseOr(seg, off, b);
            default:
                while (true) {
                    int a = (int) AVH32.getVolatile(seg, off);
                    if (AVH32.compareAndSet(seg, off, a, combine32(funct, a, b))) return a;
                }
        }
    }

    /** What AMO {@code funct} (other than swap and add) stores, from the old doubleword a and the operand b. */
    static long combine64(int funct, long a, long b) {
        return switch (funct) {
            case Op.AMOXOR -> a ^ b;
            case Op.AMOAND -> a & b;
            case Op.AMOOR -> a | b;
            case Op.AMOMIN -> Math.min(a, b);
            case Op.AMOMAX -> Math.max(a, b);
            case Op.AMOMINU -> Long.compareUnsigned(a, b) < 0 ? a : b;
            default -> Long.compareUnsigned(a, b) > 0 ? a : b;
        };
    }

    /**
     * What AMO {@code funct} (other than swap and add) stores, from the old word a and the operand b: the
     * doubleword operation on both extended as the comparison needs (unsigned for minu/maxu), cut to a word.
     */
    static int combine32(int funct, int a, int b) {
        boolean unsigned = funct == Op.AMOMINU || funct == Op.AMOMAXU;
        return (int) combine64(funct, unsigned ? Integer.toUnsignedLong(a) : a, unsigned ? Integer.toUnsignedLong(b) : b);
    }
}
