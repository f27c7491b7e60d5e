package org.orrery.device.sifivetest.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.TestMachine;

import static org.junit.jupiter.api.Assertions.*;

class SifiveTestTest {
    static final long B = 0x100000;
    TestMachine m;
    SifiveTest dev;

    @BeforeEach void setUp() {
        m = new TestMachine(new SifiveTest.Type());
        dev = (SifiveTest) m.realized("/machine/soc/test@100000", "riscv.sifive.test", "addr=0x100000");
    }

    @Test void passPowersOffWithStatusZero() {
        m.systemMemory().write(B, 4, 0x5555);
        assertEquals("shutdown:guest-shutdown:0", m.events.get(0));
        assertEquals(0, m.exitStatus());
    }

    @Test void failExitsWithTheCode() {
        m.systemMemory().write(B, 4, (42 << 16) | 0x3333);
        assertEquals(42, m.exitStatus());
    }

    @Test void resetResetsTheMachine() {
        m.systemMemory().write(B, 4, 0x7777);
        assertEquals("reset:guest-reset", m.events.get(0));
    }

    @Test void otherValuesAndReadsAreHarmless() {
        m.systemMemory().write(B, 4, 0x1234);
        assertEquals(0, m.systemMemory().read(B, 4));
        assertEquals(0, m.systemMemory().read(B + 8, 4));
        assertTrue(m.events.isEmpty());
    }

    @Test void deviceTreeNodesAsQemu() {
        SimpleDtContext ctx = new SimpleDtContext();
        dev.contributeDeviceTree(ctx);
        var t = ctx.soc().child("test@100000");
        assertEquals("sifive,test1", t.stringProperty("compatible"));
        var off = ctx.root().child("poweroff");
        assertEquals("syscon-poweroff", off.stringProperty("compatible"));
        assertArrayEquals(t.property("phandle"), off.property("regmap"));
        assertArrayEquals(new byte[]{0, 0, 0x77, 0x77}, ctx.root().child("reboot").property("value"));
    }
}
