package org.orrery.machine.testing;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.BusError;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A RISC-V hart that executes nothing: its registers are plain fields a test sets and reads, its debug
 * view reads and writes {@link #memory} (physical addresses), and it records what is asked of it (the
 * levels of its interrupt pins, resets, breakpoints, watchpoints, single-stepping).
 */
public final class FakeHart implements Hart, HartDebug {
    public final int id;
    public final long[] x = new long[32];
    public final long[] f = new long[32];
    /** The CSRs it has (absent ones read as null and refuse writes): mstatus, misa (RV64IMAFDCSU), mhartid, the FP CSRs. */
    public final Map<Integer, Long> csrs = new HashMap<>();
    public final Set<Long> breakpoints = new LinkedHashSet<>();
    /** Each as {address, length, kind}. */
    public final List<long[]> watchpoints = new ArrayList<>();
    private final Map<InterruptPin, Boolean> pins = new EnumMap<>(InterruptPin.class);
    public long pc;
    public int privilege = 3;
    public boolean singleStep;
    /** What {@link #waitingForInterrupt()} answers (a hart that executes nothing waits, unless told otherwise). */
    public boolean idle = true;
    public long lastWatch;
    /** What the debug view reads and writes (unless the hart has RAM of its own); null: nothing. */
    public AddressSpace memory;
    /** RAM of the hart's own at {@link #ramBase}, which the debug view reads and writes; null: none. */
    public byte[] ram;
    public long ramBase;
    /** The pc and stack pointer a reset sets. */
    public long resetPc = 0x1000, resetSp;
    private int resets;

    public FakeHart(int id) {
        this.id = id;
        csrs.put(0x300, 0xa00000000L);
        csrs.put(0x301, (2L << 62) | extensions("IMAFDCSU"));
        csrs.put(0xf14, (long) id);
        for (int fp = 1; fp <= 3; fp++) csrs.put(fp, 0L);
        pc = resetPc;
    }

    /** Gives the hart {@code size} bytes of RAM of its own at {@code base}, seen only through its debug view. */
    public FakeHart withRam(long base, int size) {
        ramBase = base;
        ram = new byte[size];
        return this;
    }

    /** The level the hart's {@code pin} was last driven to. */
    public boolean pin(InterruptPin p) { return pins.getOrDefault(p, false); }

    public int resets() { return resets; }

    private static long extensions(String letters) {
        long v = 0;
        for (char c : letters.toCharArray()) v |= 1L << (c - 'A');
        return v;
    }

    // ---- Hart ----
    @Override public int hartId() { return id; }
    @Override public StopReason run(long budget) { return StopReason.WAITING_FOR_INTERRUPT; }
    @Override public long instructionsRetired() { return 0; }
    @Override public void reset() { resets++; pc = resetPc; x[2] = resetSp; }
    @Override public IrqLine interruptPin(InterruptPin pin) { return level -> pins.put(pin, level); }
    @Override public void requestExit() { }
    @Override public boolean waitingForInterrupt() { return idle; }
    @Override public HartDebug debug() { return this; }

    // ---- HartDebug ----
    @Override public String architecture() { return "riscv:rv64"; }
    @Override public int xlen() { return 64; }
    @Override public long pc() { return pc; }
    @Override public void setPc(long v) { pc = v; }
    @Override public long gpr(int i) { return i == 0 ? 0 : x[i]; }
    @Override public void setGpr(int i, long v) { if (i != 0) x[i] = v; }
    @Override public long fpr(int i) { return f[i]; }
    @Override public void setFpr(int i, long bits) { f[i] = bits; }
    @Override public Long csr(int n) { return csrs.get(n); }
    @Override public boolean setCsr(int n, long v) {
        if (!csrs.containsKey(n)) return false;
        csrs.put(n, v);
        return true;
    }
    @Override public int privilege() { return privilege; }

    @Override public int readMemory(long address, byte[] dst, int offset, int length) { return access(address, dst, offset, length, false); }

    @Override public int writeMemory(long address, byte[] src, int offset, int length) { return access(address, src, offset, length, true); }

    /** Byte by byte, so an access that runs into unmapped memory stops there, as a hart's debug access does. */
    private int access(long address, byte[] buffer, int offset, int length, boolean write) {
        for (int i = 0; i < length; i++) {
            long a = address + i;
            if (ram != null) {
                if (a - ramBase < 0 || a - ramBase >= ram.length) return i;
                if (write) ram[(int) (a - ramBase)] = buffer[offset + i]; else buffer[offset + i] = ram[(int) (a - ramBase)];
                continue;
            }
            if (memory == null) return i;
            try {
                if (write) memory.writeBytes(a, buffer, offset + i, 1); else memory.readBytes(a, buffer, offset + i, 1);
            } catch (BusError e) {
                return i;
            }
        }
        return length;
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
