package com.example.edu;

import static org.orrery.device.support.DeviceProperties.uint32;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.support.RegisterBank.Access;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * edu-countdown: a whole MMIO device in one class. Two 32-bit registers:
 *
 * <pre>
 * 0x0 COUNT   RW   writing n starts a countdown of n ticks of virtual time (0 stops it); reads n
 * 0x4 STATUS  bit 0 DONE (write 1 to clear), set when the countdown ends; bit 1 IRQ_ENABLE (RW)
 * </pre>
 *
 * The interrupt line is high while DONE and IRQ_ENABLE are both set.
 */
final class EduCountdown extends MmioDevice {
    static final String TYPE = "edu-countdown";
    static final String DESCRIPTION = "countdown timer with an interrupt: the smallest example device";

    static final Property<Long> TICK_NS = uint32("tick-ns", 1000, "nanoseconds of virtual time per tick (at least 1)");

    /** The type: {@code addr}, {@code irq} and the properties declared above. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> typeWithIrq(TYPE, EduCountdown.class, EduCountdown::new).description(DESCRIPTION)); }
    }

    /** Its state: the registers (from MmioDevice.state) and the running countdown. */
    static final StateDescription<EduCountdown> STATE = MmioDevice.state(TYPE, EduCountdown.class, 1)
            .timer("timer", d -> d.timer).afterLoad(EduCountdown::updateIrq).build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    private RegisterBank.Reg status;
    private VirtualClock.Timer timer;

    @Override protected RegisterBank realizeRegisters() {
        if (get(TICK_NS) < 1) throw new QomException(TYPE + ": tick-ns must be at least 1");
        RegisterBank regs = registers(0x1000);
        regs.reg(0x0, 4, "count").rw().onWrite(this::start);
        status = regs.reg(0x4, 4, "status").field("done", 0, 1, Access.W1C).field("irq-enable", 1, 1, Access.RW)
                .onWrite(v -> updateIrq());
        return regs;
    }

    @Override protected void connect() { timer = machine().clock().newTimer(this::expired); }

    @Override protected void disconnect() { if (timer != null) timer.cancel(); }

    @Override public void reset() {
        super.reset(); // COUNT and STATUS take their reset values (zero)
        if (timer != null) timer.cancel();
        updateIrq();
    }

    private void start(long ticks) {
        timer.cancel();
        if (ticks != 0) timer.armAt(machine().clock().nanos() + ticks * get(TICK_NS));
    }

    private void expired() {
        status.set("done", 1);
        updateIrq();
    }

    private void updateIrq() {
        irq().setLevel(status != null && status.get("done") == 1 && status.get("irq-enable") == 1);
    }

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        return socNode("countdown", context).string("compatible", "orrery,edu-countdown");
    }
}
