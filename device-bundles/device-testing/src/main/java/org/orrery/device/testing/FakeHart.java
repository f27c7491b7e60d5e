package org.orrery.device.testing;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.irq.IrqLine;

import java.util.EnumMap;
import java.util.Map;

/** A hart that executes nothing and records the levels of its interrupt pins. */
public final class FakeHart implements Hart {
    private final int id;
    private final Map<InterruptPin, Boolean> pins = new EnumMap<>(InterruptPin.class);
    private int resets;
    private long pc;

    public FakeHart(int id) { this.id = id; }

    public boolean pin(InterruptPin p) { return pins.getOrDefault(p, false); }
    public int resets() { return resets; }

    @Override public int hartId() { return id; }
    @Override public StopReason run(long budget) { return StopReason.WAITING_FOR_INTERRUPT; }
    @Override public long instructionsRetired() { return 0; }
    @Override public void reset() { resets++; pc = 0x1000; }
    @Override public IrqLine interruptPin(InterruptPin pin) { return level -> pins.put(pin, level); }
    @Override public void requestExit() { }
    @Override public boolean waitingForInterrupt() { return true; }

    @Override public HartDebug debug() {
        return new HartDebug() {
            public String architecture() { return "riscv:rv64"; }
            public int xlen() { return 64; }
            public long pc() { return pc; }
            public void setPc(long v) { pc = v; }
            public long gpr(int i) { return 0; }
            public void setGpr(int i, long v) { }
            public long fpr(int i) { return 0; }
            public void setFpr(int i, long v) { }
            public Long csr(int n) {
                if (n == 0x301) return (2L << 62) | bits("IMAFDCSU");
                if (n == 0xf14) return (long) id;
                return null;
            }
            public boolean setCsr(int n, long v) { return false; }
            public int privilege() { return 3; }
            public int readMemory(long a, byte[] d, int o, int l) { return 0; }
            public int writeMemory(long a, byte[] s, int o, int l) { return 0; }
            public long translate(long va) { return va; }
            public void addBreakpoint(long a) { }
            public void removeBreakpoint(long a) { }
            public void addWatchpoint(long a, long l, int k) { }
            public void removeWatchpoint(long a, long l, int k) { }
            public long lastWatchpointAddress() { return 0; }
            public void setSingleStep(boolean on) { }
        };
    }

    private static long bits(String letters) {
        long v = 0;
        for (char c : letters.toCharArray()) v |= 1L << (c - 'A');
        return v;
    }
}
