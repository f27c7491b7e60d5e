package org.orrery.device.rtc.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.MachineOptions;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * The Goldfish RTC (Android emulator's "goldfish" platform documentation): a 64-bit count of nanoseconds
 * since the Unix epoch, read low word first (reading TIME_LOW latches TIME_HIGH), one alarm compared
 * against it, and an interrupt raised when the alarm fires while IRQ_ENABLED is set.
 *
 * <p>The count starts from the machine's {@code -rtc base=} (the host's UTC time by default, or {@code date-ns})
 * when the device is realized and advances by the clock {@code -rtc clock=} chooses: the machine's virtual
 * time by default (it stands still while the machine is paused), the host's wall clock ({@code host}) or its
 * monotonic clock ({@code rt}); plus whatever the guest adjusted by writing TIME_LOW/TIME_HIGH. The alarm is
 * a virtual-clock timer set for when the count will reach it.
 */
final class GoldfishRtc extends MmioDevice {
    static final String TYPE = "goldfish_rtc";
    static final String DESCRIPTION = "Goldfish real-time clock: nanoseconds since the epoch, one alarm with an interrupt";
    static final long SIZE = 0x1000;

    static final Property<Long> DATE = Property.of("date-ns", PropertyTypes.UINT64)
            .description("start time in ns since the epoch instead of the host's clock (-rtc base=...)");

    /** The Goldfish RTC type. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> typeWithIrq(TYPE, GoldfishRtc.class, GoldfishRtc::new).description(DESCRIPTION)); }
    }

    private long offset;          // count = elapsed() + offset
    private MachineOptions.RtcClock source = MachineOptions.RtcClock.VM;
    private long latchedHigh;
    private long alarmHighLatch;
    private long alarmAt;
    private boolean alarmRunning;
    private boolean irqPending;
    private VirtualClock clock;
    private VirtualClock.Timer alarm;
    private RegisterBank.Reg irqEnabled;

    /**
     * The stored IRQ_ENABLED, the count, the latches, the alarm (its timer keeps its virtual deadline) and the
     * interrupt. The count is kept as its offset from the time base: virtual time is restored and the host's
     * wall clock is the same everywhere, but the monotonic clock ({@code -rtc clock=rt}) is not, so for it the
     * count itself is saved and it goes on from there.
     */
    static final StateDescription<GoldfishRtc> STATE = state(TYPE, GoldfishRtc.class, 1)
            .u64("offset", r -> r.source == MachineOptions.RtcClock.RT ? r.count() : r.offset,
                    (r, v) -> r.offset = r.source == MachineOptions.RtcClock.RT ? v - r.elapsed() : v)
            .u32("latched-high", r -> r.latchedHigh, (r, v) -> r.latchedHigh = v)
            .u32("alarm-high-latch", r -> r.alarmHighLatch, (r, v) -> r.alarmHighLatch = v)
            .u64("alarm", r -> r.alarmAt, (r, v) -> r.alarmAt = v)
            .bool("alarm-running", r -> r.alarmRunning, (r, v) -> r.alarmRunning = v)
            .bool("irq-pending", r -> r.irqPending, (r, v) -> r.irqPending = v)
            .timer("alarm-timer", r -> r.alarm)
            .afterLoad(GoldfishRtc::updateIrq)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    @Override protected RegisterBank realizeRegisters() {
        clock = machine().clock();
        alarm = clock.newTimer(this::alarmFired);
        MachineOptions options = machine().options();
        source = options == null ? MachineOptions.RtcClock.VM : options.rtcClock();
        long start = isSet(DATE) ? get(DATE) : options == null ? System.currentTimeMillis() * 1_000_000L : options.rtcStartNanos();
        offset = start - elapsed();
        RegisterBank regs = registers(SIZE)
                .reg(0x00, 4, "time-low").read(this::readTimeLow).write(v -> setCount(deposit(count(), 0, v))).peek(() -> count() & 0xffffffffL)
                .reg(0x04, 4, "time-high").read(() -> latchedHigh).write(v -> setCount(deposit(count(), 32, v)))
                .reg(0x08, 4, "alarm-low").read(() -> alarmAt & 0xffffffffL).write(this::writeAlarmLow)
                .reg(0x0c, 4, "alarm-high").read(() -> alarmAt >>> 32).write(v -> alarmHighLatch = v)
                .reg(0x14, 4, "clear-alarm").constant(0).write(v -> { alarm.cancel(); alarmRunning = false; })
                .reg(0x18, 4, "alarm-status").read(() -> alarmRunning ? 1 : 0).ignoreWrites()
                .reg(0x1c, 4, "clear-interrupt").constant(0).write(v -> { irqPending = false; updateIrq(); })
                .done();
        irqEnabled = regs.reg(0x10, 4, "irq-enabled").field("enabled", 0, 1, RegisterBank.Access.RW).onWrite(v -> updateIrq());
        return regs;
    }

    @Override protected void disconnect() {
        if (alarm != null) alarm.cancel();
    }

    @Override public void reset() {
        // the time keeps running across a reset, as a battery-backed clock does; the alarm and interrupt do not
        super.reset();
        if (alarm != null) alarm.cancel();
        alarmRunning = false;
        irqPending = false;
        alarmAt = 0;
        alarmHighLatch = 0;
        updateIrq();
    }

    /** The count's time base, in nanoseconds. */
    private long elapsed() {
        return switch (source) {
            case VM -> clock.nanos();
            case RT -> System.nanoTime();
            case HOST -> {
                java.time.Instant now = java.time.Instant.now();
                yield now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }
        };
    }

    long count() { return elapsed() + offset; }

    private void setCount(long value) { offset = value - elapsed(); if (alarmRunning) armAlarm(); }

    private static long deposit(long word, int shift, long value) {
        long mask = 0xffffffffL << shift;
        return (word & ~mask) | ((value & 0xffffffffL) << shift);
    }

    private long readTimeLow() {
        long c = count();
        latchedHigh = c >>> 32;
        return c & 0xffffffffL;
    }

    private void writeAlarmLow(long low) {
        alarmAt = (alarmHighLatch << 32) | (low & 0xffffffffL);
        alarmRunning = true;
        armAlarm();
    }

    private void armAlarm() {
        long now = count();
        if (Long.compareUnsigned(alarmAt, now) <= 0) { alarm.cancel(); alarmFired(); return; }
        alarm.armAt(clock.nanos() + (alarmAt - now)); // virtual time at which the count reaches the alarm
    }

    private void alarmFired() {
        alarmRunning = false;
        irqPending = true;
        updateIrq();
    }

    private void updateIrq() { irq().setLevel(irqPending && irqEnabled != null && irqEnabled.value() != 0); }

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        return socNode("rtc", context).string("compatible", "google,goldfish-rtc");
    }
}
