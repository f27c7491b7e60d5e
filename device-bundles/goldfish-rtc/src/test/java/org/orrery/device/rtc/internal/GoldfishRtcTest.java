package org.orrery.device.rtc.internal;

import org.junit.jupiter.api.Test;
import org.orrery.device.testing.SimpleDtContext;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.memory.AddressSpace;

import static org.junit.jupiter.api.Assertions.*;

class GoldfishRtcTest {
    static final long B = 0x101000;
    static final long START = 1_700_000_000_000_000_000L;
    // JUnit makes a new instance, so a new machine, for each test
    final TestMachine m = new TestMachine(new GoldfishRtc.Type());
    final AddressSpace bus = m.systemMemory();
    final GoldfishRtc rtc = (GoldfishRtc) m.realized("/machine/soc/rtc@101000", "goldfish_rtc", "addr=0x101000", "irq=11", "date-ns=" + START);

    long time() { long lo = bus.read(B, 4); long hi = bus.read(B + 4, 4); return hi << 32 | lo; }

    @Test void timeIsNanosecondsSinceEpochAndFollowsVirtualTime() {
        assertEquals(START, time());
        m.manualClock().advance(5_000);
        assertEquals(START + 5_000, time());
    }

    @Test void rtcBaseAndClockComeFromTheMachinesRtcOptions() {
        m.machine().options().setRtcBase("2006-06-17T16:01:21");
        var fixed = m.realized("/machine/soc/rtc3", "goldfish_rtc", "addr=0x300000");
        long epoch = 1150560081L * 1_000_000_000L;
        assertEquals(epoch, bus.read(0x300000, 4) | bus.read(0x300004, 4) << 32, "-rtc base=DATE, as UTC");
        m.manualClock().advance(7);
        assertEquals(epoch + 7, bus.read(0x300000, 4) | bus.read(0x300004, 4) << 32, "clock=vm (the default): virtual time");
        m.machine().options().setRtcBase("2006-06-17");
        m.machine().options().setRtcClock(org.orrery.machine.MachineOptions.RtcClock.HOST);
        var host = m.realized("/machine/soc/rtc4", "goldfish_rtc", "addr=0x400000");
        long first = bus.read(0x400000, 4) | bus.read(0x400004, 4) << 32;
        assertTrue(first >= 1150502400L * 1_000_000_000L && first < 1150502400L * 1_000_000_000L + 5_000_000_000L, "" + first);
        m.manualClock().advance(1_000_000_000L);
        long later = bus.read(0x400000, 4) | bus.read(0x400004, 4) << 32;
        assertTrue(later - first < 500_000_000L, "clock=host: the host's time, not the virtual second that passed");
    }

    @Test void hostClockByDefault() {
        var r2 = m.realized("/machine/soc/rtc2", "goldfish_rtc", "addr=0x200000");
        long lo = bus.read(0x200000, 4), hi = bus.read(0x200004, 4);
        long secs = (hi << 32 | lo) / 1_000_000_000L;
        assertTrue(Math.abs(secs - System.currentTimeMillis() / 1000) < 5);
    }

    @Test void guestSetsTheTime() {
        long t = 0x0000_0123_4567_89abL;
        bus.write(B + 4, 4, t >>> 32);
        bus.write(B, 4, t & 0xffffffffL);
        assertEquals(t, time());
    }

    @Test void alarmRaisesInterruptWhenEnabled() {
        long at = START + 1_000_000;
        bus.write(B + 0x10, 4, 1);
        bus.write(B + 0x0c, 4, at >>> 32);
        bus.write(B + 0x08, 4, at & 0xffffffffL);
        assertEquals(1, bus.read(B + 0x18, 4), "alarm running");
        m.manualClock().advance(999_999);
        assertFalse(m.irqLevel(11));
        m.manualClock().advance(1);
        assertTrue(m.irqLevel(11));
        assertEquals(0, bus.read(B + 0x18, 4));
        bus.write(B + 0x1c, 4, 1);
        assertFalse(m.irqLevel(11));
    }

    @Test void alarmInThePastFiresAtOnceAndClearAlarmCancels() {
        bus.write(B + 0x10, 4, 1);
        bus.write(B + 0x0c, 4, 0);
        bus.write(B + 0x08, 4, 5);
        assertTrue(m.irqLevel(11));
        bus.write(B + 0x1c, 4, 1);
        long at = START + 10;
        bus.write(B + 0x0c, 4, at >>> 32);
        bus.write(B + 0x08, 4, at & 0xffffffffL);
        bus.write(B + 0x14, 4, 1);
        m.manualClock().advance(100);
        assertFalse(m.irqLevel(11));
    }

    @Test void withTheMonotonicClockTheCountItselfIsSavedAndGoesOnFromThereAfterALoad() {
        m.machine().options().setRtcClock(org.orrery.machine.MachineOptions.RtcClock.RT);
        var source = (GoldfishRtc) m.realized("/machine/soc/rtc5", "goldfish_rtc", "addr=0x500000", "date-ns=" + START);
        var saved = GoldfishRtc.STATE.save(source);
        long savedCount = saved.getLong("offset");
        assertTrue(savedCount >= START && savedCount < START + 5_000_000_000L, "saved as the count: " + savedCount);
        // another machine (another process: its monotonic clock counts from elsewhere), an hour later by its date
        TestMachine other = new TestMachine(new GoldfishRtc.Type());
        other.machine().options().setRtcClock(org.orrery.machine.MachineOptions.RtcClock.RT);
        var target = (GoldfishRtc) other.realized("/machine/soc/rtc", "goldfish_rtc", "addr=0x101000", "date-ns=" + (START + 3_600_000_000_000L));
        GoldfishRtc.STATE.restore(target, saved);
        long count = target.count();
        assertTrue(count >= savedCount && count < savedCount + 5_000_000_000L, "goes on from the saved count: " + (count - savedCount));
    }

    @Test void deviceTreeNode() {
        var n = new SimpleDtContext().socNode(rtc, "rtc@101000");
        assertEquals("google,goldfish-rtc", n.stringProperty("compatible"));
        assertArrayEquals(new byte[]{0, 0, 0, 11}, n.property("interrupts"));
    }
}
