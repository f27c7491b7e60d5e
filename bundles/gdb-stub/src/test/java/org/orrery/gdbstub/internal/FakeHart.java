package org.orrery.gdbstub.internal;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.irq.IrqLine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A hart with registers, 64 KiB of RAM at 0x80000000 and the debug bookkeeping, and no instructions. */
final class FakeHart implements Hart, HartDebug {
    static final long RAM = 0x8000_0000L;
    final byte[] ram = new byte[64 * 1024];
    final long[] x = new long[32];
    final long[] f = new long[32];
    final Map<Integer, Long> csrs = new HashMap<>();
    final Set<Long> breakpoints = new LinkedHashSet<>();
    final List<long[]> watchpoints = new ArrayList<>();
    long pc = 0x1000;
    int priv = 3;
    boolean singleStep;
    long lastWatch;
    final int id;

    FakeHart(int id) {
        this.id = id;
        csrs.put(0x300, 0xa00000000L); // mstatus
        csrs.put(0x301, 0x800000000014112dL); // misa
        csrs.put(0xf14, (long) id); // mhartid
        csrs.put(1, 0L);
        csrs.put(2, 0L);
        csrs.put(3, 0L);
    }

    // ---- Hart ----
    @Override public int hartId() { return id; }
    @Override public StopReason run(long budget) { return StopReason.BUDGET; }
    @Override public long instructionsRetired() { return 0; }
    @Override public void reset() { pc = 0x1000; }
    @Override public IrqLine interruptPin(InterruptPin pin) { return IrqLine.UNCONNECTED; }
    @Override public void requestExit() { }
    @Override public boolean waitingForInterrupt() { return false; }
    @Override public HartDebug debug() { return this; }

    // ---- HartDebug ----
    @Override public String architecture() { return "riscv:rv64"; }
    @Override public int xlen() { return 64; }
    @Override public long pc() { return pc; }
    @Override public void setPc(long pc) { this.pc = pc; }
    @Override public long gpr(int i) { return i == 0 ? 0 : x[i]; }
    @Override public void setGpr(int i, long v) { if (i != 0) x[i] = v; }
    @Override public long fpr(int i) { return f[i]; }
    @Override public void setFpr(int i, long bits) { f[i] = bits; }
    @Override public Long csr(int n) { return csrs.get(n); }
    @Override public boolean setCsr(int n, long v) { if (!csrs.containsKey(n)) return false; csrs.put(n, v); return true; }
    @Override public int privilege() { return priv; }

    @Override public int readMemory(long address, byte[] dst, int offset, int length) {
        int n = 0;
        for (; n < length; n++) {
            long a = address + n - RAM;
            if (a < 0 || a >= ram.length) break;
            dst[offset + n] = ram[(int) a];
        }
        return n;
    }

    @Override public int writeMemory(long address, byte[] src, int offset, int length) {
        int n = 0;
        for (; n < length; n++) {
            long a = address + n - RAM;
            if (a < 0 || a >= ram.length) break;
            ram[(int) a] = src[offset + n];
        }
        return n;
    }

    @Override public long translate(long va) { return va; }
    @Override public void addBreakpoint(long a) { breakpoints.add(a); }
    @Override public void removeBreakpoint(long a) { breakpoints.remove(a); }
    @Override public void addWatchpoint(long a, long len, int kind) { watchpoints.add(new long[]{a, len, kind}); }
    @Override public void removeWatchpoint(long a, long len, int kind) {
        watchpoints.removeIf(w -> w[0] == a && w[1] == len && w[2] == kind);
    }
    @Override public long lastWatchpointAddress() { return lastWatch; }
    @Override public void setSingleStep(boolean on) { singleStep = on; }
}
