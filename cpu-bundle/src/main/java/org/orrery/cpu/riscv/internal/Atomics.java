package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.lang.foreign.MemorySegment;

import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.Section;

/**
 * The A extension: LR/SC with a reservation on the physical address and value, and the AMOs, all on RAM
 * only (an AMO to MMIO raises an access fault). Atomic with respect to this hart; harts on other threads
 * come with SMP.
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
        int ti = Mmu.slot(va), pi = (int) (va >>> 12) & Mmu.TLB_MASK;
        if (funct == Op.LR) {
            long pa, v;
            if (m.rTlb[ti] == (va & Mmu.M1)) {
                pa = m.rPa[pi] | (va & 0xfff);
                v = AddressSpace.load(Mmu.HOST, m.rTlb[ti + 1] + (va & 0xfff), size);
            } else {
                pa = m.translate(va, Mmu.ACC_LOAD, ep, true);
                if (pa == -1) return;
                Section s = h.bus.find(pa);
                if (s == null || s.isMmio() || !s.contains(pa + size - 1) || !m.pmpAllows(pa, size, Mmu.ACC_LOAD, ep)) { h.raise(C_LACCESS, va); return; }
                v = AddressSpace.load(s.segment(), s.regionOffset() + (pa - s.start()), size);
                if (h.watching() && h.watchCheck(va, size, false)) return;
            }
            h.resAddr = pa; h.resSize = size; h.resValue = v;
            x[rd] = dbl ? v : (int) v;
            return;
        }
        long pa, off;
        MemorySegment seg;
        boolean tlbHit = m.wTlb[ti] == (va & Mmu.M1);  // write-TLB pages never hold decoded code
        if (tlbHit) {
            pa = m.wPa[pi] | (va & 0xfff);
            seg = Mmu.HOST;
            off = m.wTlb[ti + 1] + (va & 0xfff);
        } else {
            pa = m.translate(va, Mmu.ACC_STORE, ep, true);
            if (pa == -1) return;
            Section s = h.bus.find(pa);
            if (s == null || s.isMmio() || s.isRom() || !s.contains(pa + size - 1) || !m.pmpAllows(pa, size, Mmu.ACC_STORE, ep)) { h.raise(C_SACCESS, va); return; }
            off = s.regionOffset() + (pa - s.start());
            seg = s.segment();
            if (h.watching() && h.watchCheck(va, size, true)) return;
        }
        long old = AddressSpace.load(seg, off, size);
        if (funct == Op.SC) {
            boolean ok = h.resAddr == pa && h.resSize == size && old == h.resValue;
            h.resAddr = -1;
            if (ok) {
                AddressSpace.store(seg, off, size, x[rs2]);
                if (!tlbHit) m.invalidateCode(pa, size);
            }
            x[rd] = ok ? 0 : 1;
            return;
        }
        long src = x[rs2];
        long a = dbl ? old : (int) old, b = dbl ? src : (int) src;
        long res = switch (funct) {
            case Op.AMOSWAP -> b;
            case Op.AMOADD -> a + b;
            case Op.AMOXOR -> a ^ b;
            case Op.AMOAND -> a & b;
            case Op.AMOOR -> a | b;
            case Op.AMOMIN -> Math.min(a, b);
            case Op.AMOMAX -> Math.max(a, b);
            case Op.AMOMINU -> Long.compareUnsigned(dbl ? a : a & 0xffffffffL, dbl ? b : b & 0xffffffffL) < 0 ? a : b;
            default -> Long.compareUnsigned(dbl ? a : a & 0xffffffffL, dbl ? b : b & 0xffffffffL) > 0 ? a : b;
        };
        AddressSpace.store(seg, off, size, res);
        if (!tlbHit) m.invalidateCode(pa, size);
        if (h.resAddr != -1 && h.resAddr == pa) h.resAddr = -1;
        x[rd] = a;
    }
}
