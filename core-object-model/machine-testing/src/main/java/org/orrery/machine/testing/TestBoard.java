package org.orrery.machine.testing;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * A small board for tests: {@link FakeHart}s, optionally RAM at {@link #RAM} holding a program that
 * {@link #loadImages()} writes there, an empty device tree and platform interrupts that go nowhere.
 */
public class TestBoard extends Board {
    public static final long RAM = 0x8000_0000L;

    public final List<FakeHart> harts = new ArrayList<>();
    private final long ramSize;
    private final byte[] program;

    /** A board with nothing on it. */
    public TestBoard() { this(0, 0, new byte[0]); }

    /** {@code hartCount} harts that start at {@link #RAM} with the stack at its middle, {@code ramSize} bytes of RAM, {@code program} at its start. */
    public TestBoard(int hartCount, long ramSize, byte[] program) {
        this.ramSize = ramSize;
        this.program = program.clone();
        for (int i = 0; i < hartCount; i++) {
            FakeHart h = new FakeHart(i);
            h.resetPc = RAM;
            h.resetSp = RAM + ramSize / 2;
            harts.add(h);
        }
    }

    @Override protected void onRealize() {
        if (ramSize > 0) machine().systemMemory().root().addSubregion(RAM, MemoryRegion.ram("test.ram", Arena.ofAuto().allocate(ramSize, 8)));
        for (FakeHart h : harts) h.memory = machine().systemMemory();
    }

    @Override public List<Hart> harts() { return List.copyOf(harts); }
    @Override public FdtNode buildDeviceTree() { return new FdtNode(""); }
    @Override public void loadImages() { if (program.length > 0) machine().systemMemory().writeBytes(RAM, program, 0, program.length); }
    @Override public IrqLine platformIrq(int source) { return IrqLine.UNCONNECTED; }
}
