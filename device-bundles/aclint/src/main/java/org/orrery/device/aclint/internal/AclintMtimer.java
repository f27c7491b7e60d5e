package org.orrery.device.aclint.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

import static org.orrery.device.support.DeviceProperties.uint64;

/**
 * ACLINT MTIMER (ACLINT spec, chapter 2): a 64-bit {@code mtime} counting at the timebase frequency and
 * one 64-bit {@code mtimecmp} per hart; a hart's machine timer interrupt is pending while
 * {@code mtime >= mtimecmp}. Both are accessible as whole 64-bit words or as 32-bit halves.
 *
 * <p>{@code mtime} is the machine's virtual time scaled to the timebase, plus an offset that guest writes to
 * {@code mtime} set. Each hart's comparison is kept by a virtual-clock timer armed for the instant
 * {@code mtime} reaches {@code mtimecmp}, so MTIP rises on time whether or not the guest is polling.
 */
final class AclintMtimer extends AclintDevice {
    static final String TYPE = "riscv.aclint.mtimer";
    static final String DESCRIPTION = "RISC-V ACLINT machine-level timer device (MTIMER): mtime and one mtimecmp per hart";

    static final Property<Long> TIMECMP_BASE = uint64("timecmp-base", 0L, "offset of mtimecmp[0] in the region");
    static final Property<Long> TIME_BASE = uint64("time-base", 0x7ff8L, "offset of mtime in the region");
    static final Property<Long> APERTURE_SIZE = uint64("aperture-size", 0x8000L, "size of the register region");
    static final Property<Long> TIMEBASE_FREQ = uint64("timebase-freq", 10_000_000L, "mtime frequency in Hz");

    private static final long NS = 1_000_000_000L;

    /** The timer half of the ACLINT. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> type(TYPE, AclintMtimer.class, AclintMtimer::new).description(DESCRIPTION)); }
    }

    private long[] mtimecmp;
    private boolean[] pending;
    private VirtualClock.Timer[] timers;
    private long timeOffset;
    private long freq;
    private VirtualClock clock;

    /**
     * mtime is virtual time (restored before devices) plus the guest's offset, so the offset and each mtimecmp
     * are the whole state: the pending levels and the timers' deadlines follow from them and are derived again
     * after a load (the same deadlines the saved timers had).
     */
    static final StateDescription<AclintMtimer> STATE = state(TYPE, AclintMtimer.class, 1)
            .u64("time-offset", t -> t.timeOffset, (t, v) -> t.timeOffset = v)
            .longs("mtimecmp", t -> t.mtimecmp)
            .afterLoad(AclintMtimer::afterLoad)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    private void afterLoad() {
        if (timers == null) return;
        for (int i = 0; i < mtimecmp.length; i++) evaluate(i);
        drivePins();
    }

    @Override protected RegisterBank realizeRegisters() {
        int n = harts();
        freq = get(TIMEBASE_FREQ);
        if (freq <= 0 || freq > NS) throw new QomException(describe() + ": timebase-freq must be 1..1000000000 Hz");
        long size = get(APERTURE_SIZE);
        long cmpBase = get(TIMECMP_BASE), timeBase = get(TIME_BASE);
        if (cmpBase + 8L * n > size || timeBase + 8 > size || (timeBase < cmpBase + 8L * n && cmpBase < timeBase + 8))
            throw new QomException(describe() + ": mtime and mtimecmp registers do not fit apart in the aperture");
        clock = machine().clock();
        mtimecmp = new long[n];
        pending = new boolean[n];
        return registers(size)
                .array(cmpBase, n, 8, 8, "mtimecmp", i -> mtimecmp[i], this::writeMtimecmp)
                .reg(timeBase, 8, "mtime").read(this::mtime).write(this::writeMtime).done();
    }

    @Override protected void connect() {
        connectPins(hartPin());
        timers = new VirtualClock.Timer[mtimecmp.length];
        for (int i = 0; i < timers.length; i++) {
            final int hart = i;
            timers[i] = clock.newTimer(() -> evaluate(hart));
        }
        resetState();
    }

    @Override protected void disconnect() {
        if (timers != null) for (VirtualClock.Timer t : timers) t.cancel();
        timers = null;
        super.disconnect();
    }

    @Override public void reset() {
        if (timers != null) resetState();
    }

    private void resetState() {
        timeOffset = 0;
        for (int i = 0; i < mtimecmp.length; i++) {
            mtimecmp[i] = -1L; // no timer interrupt until software sets a deadline
            timers[i].cancel();
            setPending(i, false);
        }
    }

    /** mtime now: virtual time at the timebase frequency plus the guest's offset. */
    long mtime() { return ticks(clock.nanos()) + timeOffset; }

    private long ticks(long nanos) {
        if (NS % freq == 0) return nanos / (NS / freq);
        return (nanos / NS) * freq + (nanos % NS) * freq / NS;
    }

    /** The first virtual nanosecond at which the raw tick count reaches {@code rawTicks}. */
    private long nanosAt(long rawTicks) {
        if (rawTicks <= 0) return 0;
        if (NS % freq == 0) {
            long per = NS / freq;
            return rawTicks > Long.MAX_VALUE / per ? Long.MAX_VALUE : rawTicks * per;
        }
        double d = Math.ceil((double) rawTicks * NS / freq);
        return d >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) d;
    }

    private void writeMtimecmp(int hart, long value) {
        mtimecmp[hart] = value;
        evaluate(hart);
    }

    private void writeMtime(long value) {
        timeOffset = value - ticks(clock.nanos());
        for (int i = 0; i < mtimecmp.length; i++) evaluate(i);
    }

    /** Compares unsigned, raises or lowers MTIP, and arms the timer for a future deadline. */
    private void evaluate(int hart) {
        long cmp = mtimecmp[hart];
        long now = mtime();
        if (Long.compareUnsigned(now, cmp) >= 0) {
            timers[hart].cancel();
            setPending(hart, true);
            return;
        }
        setPending(hart, false);
        long rawTarget = cmp - timeOffset;
        if (rawTarget < 0) { timers[hart].cancel(); return; } // beyond what virtual time will ever reach
        timers[hart].armAt(nanosAt(rawTarget));
    }

    @Override InterruptPin hartPin() { return InterruptPin.MTIP; }

    @Override boolean pinLevel(int hart) { return pending[hart]; }

    private void setPending(int hart, boolean level) {
        if (pending[hart] == level) return;
        pending[hart] = level;
        pins[hart].setLevel(level);
    }

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        if (get(SIFIVE_CLINT)) return null; // the software-interrupt half writes the clint node
        int n = mtimecmp.length;
        FdtNode node = FdtNode.at("mtimer", base() + get(TIMECMP_BASE));
        node.u32("interrupts-extended", interruptsExtended(context.hartInterruptControllers(), InterruptPin.MTIP));
        node.reg(base() + get(TIME_BASE), 8, base() + get(TIMECMP_BASE), 8L * n);
        return node.string("compatible", "riscv,aclint-mtimer");
    }
}
