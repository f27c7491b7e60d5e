package org.orrery.cpu.riscv;

import org.orrery.cpu.riscv.testing.Engine;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.orrery.cpu.riscv.testing.TestMachine;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.StopReason;

/**
 * Random 32- and 16-bit instruction words, random jump targets, random privilege, status and translation
 * settings: the hart must keep executing and no Java exception may escape.
 */
class FuzzTest {
    private static final long AREA = TestMachine.RAM_BASE + 0x10000, SIZE = 0x10000;

    @ParameterizedTest(name = "RV{0} on the {1}")
    @CsvSource({"64, INTERPRETER", "32, INTERPRETER", "64, TRANSLATOR", "32, TRANSLATOR"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void randomCodeNeverEscapes(int xlen, Engine engine) {
        RiscvConfig cfg = xlen == 64 ? RiscvConfig.rv64gc(0, TestMachine.RAM_BASE) : RiscvConfig.rv32gc(0, TestMachine.RAM_BASE);
        TestMachine m = new TestMachine(cfg, engine);
        HartDebug d = m.hart.debug();
        Random rnd = new Random(0x5eed + xlen);
        long executed = 0;
        for (int round = 0; round < 400; round++) {
            setUp(m, d, rnd, round);
            long before = m.hart.instructionsRetired();
            for (int slice = 0; slice < 10; slice++) {
                StopReason r = m.hart.run(1000);
                assertNotNull(r);
                if (r == StopReason.WAITING_FOR_INTERRUPT) { m.hart.reset(); setUp(m, d, rnd, round); }
                if (rnd.nextInt(4) == 0) d.setPc(AREA + (rnd.nextLong(SIZE) & ~1L));
            }
            executed += Math.max(0, m.hart.instructionsRetired() - before);
        }
        long total = executed;
        assertTrue(total > 100_000, () -> "the hart barely ran: " + total + " instructions retired");
    }

    private static void setUp(TestMachine m, HartDebug d, Random rnd, int round) {
        // trap handler at the start of RAM: skip the faulting instruction (4 bytes) and return
        m.poke32(TestMachine.RAM_BASE, 0x341022f3, 0x00428293, 0x34129073, 0x30200073);
        for (long a = AREA; a < AREA + SIZE; a += 4) {
            int w = rnd.nextInt(3) == 0 ? (rnd.nextInt() & 0xffff) | (rnd.nextInt() << 16) : rnd.nextInt() | 3;
            if (rnd.nextInt(16) == 0) w = 0x00000073 | (rnd.nextInt(0x1000) << 20) | (rnd.nextInt(8) << 12) | (rnd.nextInt(32) << 7) | (rnd.nextInt(32) << 15);
            m.poke32(a, w);
        }
        d.setCsr(0x305, TestMachine.RAM_BASE);          // mtvec
        d.setCsr(0x105, TestMachine.RAM_BASE);          // stvec
        long mstatus = (1L << 13) | ((long) new int[] {0, 1, 3}[rnd.nextInt(3)] << 11) | (rnd.nextInt(8) == 0 ? 1L << 17 : 0);
        d.setCsr(0x300, mstatus);
        if (round % 3 == 1) d.setCsr(0x180, ((rnd.nextBoolean() ? 8L : 9L) << 60) | ((AREA >>> 12) + rnd.nextInt(16)));
        else d.setCsr(0x180, 0);
        d.setCsr(0x3b0, -1L); // PMP: everything allowed for S/U
        d.setCsr(0x3a0, 0x1f);
        for (int i = 1; i < 32; i++) {
            long v = switch (rnd.nextInt(4)) {
                case 0 -> AREA + rnd.nextLong(SIZE);
                case 1 -> rnd.nextLong();
                case 2 -> rnd.nextInt(64) - 32;
                default -> TestMachine.RAM_BASE + rnd.nextLong(TestMachine.RAM_SIZE);
            };
            d.setGpr(i, v);
            d.setFpr(i, rnd.nextLong());
        }
        d.setPc(AREA + (rnd.nextLong(SIZE) & ~1L));
    }
}
