package org.orrery.cpu.riscv.internal;

import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.memory.Section;

/** The hart as a debugger or monitor sees it: registers, CSRs without side effects, memory through the MMU. */
final class HartDebugAccess implements HartDebug {
    private final RiscvHart h;

    HartDebugAccess(RiscvHart h) { this.h = h; }

    @Override public String architecture() { return h.rv64 ? "riscv:rv64" : "riscv:rv32"; }
    @Override public int xlen() { return h.cfg.xlen(); }
    @Override public long pc() { return h.pc; }
    @Override public void setPc(long v) { h.pc = v & h.amask; }
    @Override public long gpr(int i) { return i == 0 ? 0 : h.x[i]; }
    @Override public void setGpr(int i, long v) { if (i != 0) h.x[i] = h.rv64 ? v : (int) v; }
    @Override public long fpr(int i) { return h.f[i]; }
    @Override public void setFpr(int i, long bits) { h.f[i] = bits; }

    @Override public Long csr(int number) {
        h.curRetired = h.retired;
        long v = h.csr.read(number & 0xfff);
        return v == CsrFile.NO_CSR ? null : v;
    }

    @Override public boolean setCsr(int number, long value) {
        h.curRetired = h.retired;
        if (h.csr.read(number & 0xfff) == CsrFile.NO_CSR) return false;
        if (number == Csr.MISA || number == Csr.MHARTID) return true;
        h.csr.write(number & 0xfff, value);
        return true;
    }

    @Override public int privilege() { return h.priv; }

    private long pa(long va) { return h.mmu.translate(va & h.amask, Mmu.ACC_LOAD, h.mmu.dataPriv(), false); }

    @Override public int readMemory(long address, byte[] dst, int offset, int length) {
        for (int k = 0; k < length; k++) {
            long p = pa(address + k);
            if (p == -1) return k;
            Section s = h.bus.find(p);
            if (s == null) return k;
            try {
                dst[offset + k] = (byte) h.bus.read(p, 1);
            } catch (RuntimeException e) {
                return k;
            }
        }
        return length;
    }

    @Override public int writeMemory(long address, byte[] src, int offset, int length) {
        for (int k = 0; k < length; k++) {
            long p = pa(address + k);
            if (p == -1) return k;
            Section s = h.bus.find(p);
            if (s == null) return k;
            try {
                h.bus.writeBytes(p, src, offset + k, 1); // the hart hears of it and drops code it overwrites
            } catch (RuntimeException e) {
                return k;
            }
        }
        return length;
    }

    @Override public long translate(long va) { return pa(va); }
    @Override public void addBreakpoint(long address) { h.breakpoints.add(address & h.amask); }
    @Override public void removeBreakpoint(long address) { h.breakpoints.remove(address & h.amask); }

    @Override public void addWatchpoint(long address, long length, int kind) {
        h.watchpoints.add(new RiscvHart.Watch(address, length, kind));
        h.mmu.flushTlb();
    }

    @Override public void removeWatchpoint(long address, long length, int kind) {
        h.watchpoints.remove(new RiscvHart.Watch(address, length, kind));
    }

    @Override public long lastWatchpointAddress() { return h.lastWatch; }
    @Override public void setSingleStep(boolean on) { h.singleStep = on; }
}
