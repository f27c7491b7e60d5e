package org.orrery.device.support;

import org.junit.jupiter.api.Test;
import org.orrery.device.support.RegisterBank.Access;
import org.orrery.machine.memory.MmioHandler;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RegisterBankTest {
    final GuestLog log = new GuestLog("test");
    final List<String> calls = new ArrayList<>();

    /** 0x0 a 4-byte callback register, 0x4 a 2-byte stored one, 0x6 a hole, 0x8 an 8-byte stored one. */
    RegisterBank bank() {
        long[] a = {0x44332211L};
        return new RegisterBank("t", log, 0x100)
                .reg(0x0, 4, "a").read(() -> { calls.add("read a"); return a[0]; }).write(v -> { calls.add("write a " + Long.toHexString(v)); a[0] = v; })
                .reg(0x4, 2, "b").rw().resetValue(0x6655)
                .reg(0x8, 8, "c").rw().resetValue(0x8877665544332211L)
                .done();
    }

    @Test void exactAccessesReachTheRegisterOnce() {
        RegisterBank r = bank();
        assertEquals(0x44332211L, r.read(0, 4));
        r.write(0, 4, 0xdeadbeefL);
        assertEquals(List.of("read a", "write a deadbeef"), calls);
    }

    @Test void narrowReadsExtractTheirBytes() {
        RegisterBank r = bank();
        assertEquals(0x22, r.read(1, 1));
        assertEquals(0x4433, r.read(2, 2));
        assertEquals(0x66, r.read(5, 1));
        assertEquals(0x55443322L, r.read(0x9, 4));
    }

    @Test void narrowWritesMergeIntoTheCurrentValue() {
        RegisterBank r = bank();
        r.write(1, 1, 0xaa);
        assertEquals("write a 4433aa11", calls.get(calls.size() - 1));
        r.write(0xc, 2, 0xbbcc);
        assertEquals(0x8877bbcc44332211L, r.read(8, 8));
    }

    @Test void wideAccessesSplitOverRegistersAndHoles() {
        RegisterBank r = bank();
        // 0x0..0x7: a, b, and two undefined bytes that read as zero
        assertEquals(0x0000665544332211L, r.read(0, 8));
        r.write(0, 8, 0x1122_3344_5566_7788L);
        assertEquals("write a 55667788", calls.get(calls.size() - 1));
        assertEquals(0x3344, r.read(4, 2));
        assertTrue(log.sitesLogged() > 0, "the undefined bytes were logged");
    }

    @Test void fieldsFollowTheirAccessKinds() {
        RegisterBank r = new RegisterBank("t", log, 0x10);
        RegisterBank.Reg s = r.reg(0, 4, "status")
                .field("enable", 0, 2, Access.RW)
                .field("busy", 2, 1, Access.RO)
                .field("done", 4, 2, Access.W1C)
                .field("spare", 8, 8, Access.RESERVED);
        s.set(0b110100);              // the device: busy, both done bits
        r.write(0, 4, 0xffff_0001L);  // enable=1, try to clear busy (ignored), no done bit written, reserved dropped
        assertEquals(0b110101, r.read(0, 4));
        r.write(0, 4, 0b010001);      // clear done bit 4 only
        assertEquals(0b100101, r.read(0, 4));
        assertEquals(1, s.get("enable"));
        assertEquals(2, s.get("done"));
        s.set("enable", 3);
        assertEquals(0b100111, s.value());
    }

    @Test void narrowWritesDoNotClearOtherBytesWriteOneToClearBits() {
        RegisterBank r = new RegisterBank("t", log, 0x10);
        RegisterBank.Reg s = r.reg(0, 4, "status").field("low", 0, 8, Access.W1C).field("high", 8, 8, Access.W1C);
        s.set(0xffff);
        r.write(1, 1, 0x01); // clears bit 8 only; the low byte is not written, so it stays
        assertEquals(0xfeff, s.value());
    }

    @Test void onWriteSeesTheNewValue() {
        RegisterBank r = new RegisterBank("t", log, 0x10);
        long[] seen = {-1};
        r.reg(0, 4, "ctrl").rw().onWrite(v -> seen[0] = v);
        r.write(0, 4, 7);
        assertEquals(7, seen[0]);
    }

    @Test void resetRestoresEveryStoredRegister() {
        RegisterBank r = bank();
        r.write(4, 2, 0x1234);
        r.write(8, 8, 0);
        r.reset();
        assertEquals(0x6655, r.read(4, 2));
        assertEquals(0x8877665544332211L, r.read(8, 8));
    }

    @Test void windowsPassAccessesThrough() {
        List<String> seen = new ArrayList<>();
        RegisterBank r = bank().window(0x80, 0x80, new MmioHandler() {
            @Override public long read(long offset, int size) { seen.add("r" + offset + "/" + size); return 0x5a; }
            @Override public void write(long offset, int size, long value) { seen.add("w" + offset + "/" + size + "=" + value); }
        });
        assertEquals(0x5a, r.read(0x84, 4));
        r.write(0x81, 1, 9);
        assertEquals(List.of("r4/4", "w1/1=9"), seen);
    }

    @Test void badDefinitionsAreRefused() {
        RegisterBank r = bank();
        assertThrows(IllegalArgumentException.class, () -> r.reg(2, 4, "overlap"));
        assertThrows(IllegalArgumentException.class, () -> r.reg(0xfe, 4, "outside"));
        assertThrows(IllegalArgumentException.class, () -> r.reg(0x20, 3, "odd"));
        RegisterBank.Reg s = r.reg(0x20, 4, "f").field("x", 0, 4, Access.RW);
        assertThrows(IllegalArgumentException.class, () -> s.field("y", 3, 2, Access.RO));
        assertThrows(IllegalArgumentException.class, () -> s.field("z", 30, 4, Access.RO));
        assertThrows(IllegalArgumentException.class, () -> s.get("nope"));
    }

    @Test void writeOnlyAndReadOnlyMisusesAreLoggedNotThrown() {
        RegisterBank r = new RegisterBank("t", log, 0x10).reg(0, 4, "wo").write(v -> { }).reg(4, 4, "ro").constant(3).done();
        assertEquals(0, r.read(0, 4));
        r.write(4, 4, 1);
        assertEquals(3, r.read(4, 4));
        assertEquals(2, log.sitesLogged());
    }
}
