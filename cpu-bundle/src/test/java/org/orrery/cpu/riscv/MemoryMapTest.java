package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.memory.MemoryRegion;

/** The hart follows memory map changes (its TLBs are dropped) and exposes its interrupt wires in mip. */
class MemoryMapTest {
    static final long B = TestMachine.RAM_BASE;

    @ParameterizedTest
    @EnumSource(Engine.class)
    void remappedRegionIsSeenAfterTopologyChange(Engine engine) {
        TestMachine m = new TestMachine(engine);
        MemorySegment one = Arena.ofAuto().allocate(4096), two = Arena.ofAuto().allocate(4096);
        one.set(ValueLayout.JAVA_LONG, 0, 1);
        two.set(ValueLayout.JAVA_LONG, 0, 2);
        MemoryRegion r1 = MemoryRegion.ram("one", one), r2 = MemoryRegion.ram("two", two);
        m.bus.root().addSubregion(0x4000_0000L, r1);
        // lui t0, 0x40000; ld t1, 0(t0); j 0 (back to the load)
        m.poke32(B, 0x400002b7, 0x0002b303, 0xffdff06f);
        HartDebug d = m.hart.debug();
        d.setPc(B);
        m.hart.run(5);
        assertEquals(1, d.gpr(6));
        m.bus.root().removeSubregion(r1);
        m.bus.root().addSubregion(0x4000_0000L, r2);
        d.setGpr(6, 0);
        m.hart.run(5);
        assertEquals(2, d.gpr(6), "the load sees the new region, not a stale TLB entry");
        // unmapping turns the load into an access fault (mcause 5)
        m.bus.root().removeSubregion(r2);
        d.setCsr(0x305, B + 0x100);
        m.poke32(B + 0x100, 0x0000006f); // j .
        m.hart.run(10);
        assertEquals(5L, d.csr(0x342));
        assertEquals(0x4000_0000L, d.csr(0x343));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void instructionsCrossingPagesAndPatchedCode(Engine engine) {
        TestMachine m = new TestMachine(engine);
        HartDebug d = m.hart.debug();
        // addi x1, x0, 5 split across the page boundary at B+0x1000, then j . ; patched and re-run
        m.bus.write(B + 0xffe, 2, 0x0093);
        m.bus.write(B + 0x1000, 2, 0x0050);
        m.poke32(B + 0x1002, 0x0000006f);
        d.setPc(B + 0xffe);
        m.hart.run(3);
        assertEquals(5, d.gpr(1));
        assertEquals(B + 0x1002, d.pc());
        // the guest patches the upper half (in the next page) with a store: addi x1, x0, 9
        // sh t1, 0(t0) at B+0x2000; j back to B+0xffe
        m.poke32(B + 0x2000, 0x00629023, 0x0000006f);
        d.setGpr(5, B + 0x1000);
        d.setGpr(6, 0x0090);
        d.setPc(B + 0x2000);
        m.hart.run(1);
        d.setPc(B + 0xffe);
        m.hart.run(1);
        assertEquals(9, d.gpr(1));
        // a compressed instruction patched on the running page: c.li x1, 3 at B+0x3000 after a store to it
        m.poke32(B + 0x3000, 0x0000006f);
        d.setPc(B + 0x3000);
        m.hart.run(5);
        m.poke32(B + 0x2000, 0x00629023); // sh t1, 0(t0)
        m.poke32(B + 0x2004, 0x0000006f);
        d.setGpr(5, B + 0x3000);
        d.setGpr(6, 0x408d);               // c.li x1, 3
        d.setPc(B + 0x2000);
        m.hart.run(1);
        d.setPc(B + 0x3000);
        d.setGpr(1, 0);
        m.hart.run(1);
        assertEquals(3, d.gpr(1), "the store invalidated the decoded slot");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void misalignedJumpTargetWithoutCompressedInstructions(Engine engine) {
        TestMachine m = new TestMachine(new RiscvConfig(0, B, 64, true, true, true, true, false, true, true, true), engine);
        HartDebug d = m.hart.debug();
        m.poke32(B, 0x0060006f);           // jal x0, +6 -> B+6, misaligned without C
        m.poke32(B + 0x100, 0x0000006f);   // trap handler: j .
        d.setCsr(0x305, B + 0x100);
        d.setPc(B);
        m.hart.run(5);
        assertEquals(0L, d.csr(0x342));    // instruction address misaligned
        assertEquals(B + 6, d.csr(0x343));
        assertEquals(B, d.csr(0x341));     // reported on the jump
        // and 16-bit encodings are illegal
        m.poke32(B + 0x200, 0x0000408d);   // c.li x1, 3
        d.setPc(B + 0x200);
        m.hart.run(2);
        assertEquals(2L, d.csr(0x342));
        assertEquals(0x408dL, d.csr(0x343));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void interruptPinsDriveMip(Engine engine) {
        TestMachine m = new TestMachine(engine);
        HartDebug d = m.hart.debug();
        for (InterruptPin p : InterruptPin.values()) {
            m.hart.interruptPin(p).raise();
            assertEquals(1L << p.mipBit(), d.csr(0x344) & (1L << p.mipBit()), p.name());
            m.hart.interruptPin(p).lower();
            assertEquals(0L, d.csr(0x344) & (1L << p.mipBit()), p.name());
        }
        // SEIP reads as the OR of the wire and the software-writable bit
        d.setCsr(0x344, 1L << 9);
        m.hart.interruptPin(InterruptPin.SEIP).raise();
        m.hart.interruptPin(InterruptPin.SEIP).lower();
        assertEquals(1L << 9, d.csr(0x344) & (1L << 9));
        // an enabled, delegated external interrupt traps to S-mode from U-mode
        d.setCsr(0x344, 0);
        d.setCsr(0x303, 1L << 9);          // mideleg SEIP
        d.setCsr(0x304, 1L << 9);          // mie SEIE
        d.setCsr(0x105, B + 0x200);        // stvec
        d.setCsr(0x3b0, -1L);
        d.setCsr(0x3a0, 0x1f);             // PMP: all memory for S/U
        m.poke32(B + 0x200, 0x0000006f);   // j .
        m.poke32(B, 0x0000006f);
        d.setCsr(0x341, B);                // mepc
        d.setCsr(0x300, 0);                // MPP = U
        m.poke32(B + 0x300, 0x30200073);   // mret
        d.setPc(B + 0x300);
        m.hart.run(10);
        assertEquals(0, d.privilege());
        m.hart.interruptPin(InterruptPin.SEIP).raise();
        m.hart.run(10);
        assertEquals(1, d.privilege());
        assertEquals(0x8000_0000_0000_0009L, d.csr(0x142));
        assertEquals(B + 0x200, d.pc());
    }
}
