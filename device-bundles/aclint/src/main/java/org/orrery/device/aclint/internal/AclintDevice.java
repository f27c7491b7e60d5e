package org.orrery.device.aclint.internal;

import org.orrery.device.support.Harts;
import org.orrery.device.support.MmioDevice;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.HartWiring;
import org.orrery.machine.irq.IrqLine;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import static org.orrery.device.support.DeviceProperties.uint32;

/** What both ACLINT devices share: the harts they serve, from {@code hartid-base}, and one interrupt pin of each. */
abstract class AclintDevice extends MmioDevice implements HartWiring {
    static final Property<Long> HARTID_BASE = uint32("hartid-base", 0L, "hart id of the first hart served");
    static final Property<Long> NUM_HARTS = uint32("num-harts", 1L, "number of harts served");
    static final Property<Boolean> SIFIVE_CLINT = Property.of("sifive-clint", PropertyTypes.BOOL).defaultValue(false)
            .description("part of a SiFive CLINT: the software-interrupt device writes one clint node for both, the timer none "
                    + "(otherwise each writes its own riscv,aclint-* node)");
    /** The CLINT's aperture in the device tree (SWI 0x4000 + MTIMER 0xc000 on virt). */
    static final long CLINT_SIZE = 0x10000;

    /** The interrupt pin of each hart served, while realized. */
    IrqLine[] pins;

    /** The number of harts served, checked. */
    final int harts() {
        int n = (int) (long) get(NUM_HARTS);
        if (n < 1 || n > 4095) throw new QomException(describe() + ": num-harts must be 1..4095, got " + n);
        return n;
    }

    /** Finds the harts served and their {@code pin}. */
    final void connectPins(InterruptPin pin) {
        int n = harts();
        long first = get(HARTID_BASE);
        IrqLine[] found = new IrqLine[n];
        for (int i = 0; i < n; i++) found[i] = Harts.require(tree(), first + i, describe()).interruptPin(pin);
        pins = found;
    }

    /** The pin of each hart this device drives. */
    abstract InterruptPin hartPin();

    /** The level the device drives {@code hart}'s pin with now. */
    abstract boolean pinLevel(int hart);

    /** Drives every pin with the level the device's state gives (after a load, whatever the pins had). */
    final void drivePins() {
        if (pins != null) for (int i = 0; i < pins.length; i++) pins[i].setLevel(pinLevel(i));
    }

    /** The harts were made again: their pins are new, and each gets the level the device drives now. */
    @Override public void rewireHarts() {
        connectPins(hartPin());
        for (int i = 0; i < pins.length; i++) pins[i].setLevel(pinLevel(i));
    }

    @Override protected void disconnect() {
        if (pins != null) for (IrqLine p : pins) p.lower();
        pins = null;
    }

    /** {@code interrupts-extended} cells: for each hart served, its interrupt controller and each of {@code pins}. */
    final long[] interruptsExtended(int[] intc, InterruptPin... hartPins) {
        int first = (int) (long) get(HARTID_BASE);
        int n = (int) (long) get(NUM_HARTS);
        long[] cells = new long[2 * n * hartPins.length];
        int k = 0;
        for (int i = 0; i < n; i++) {
            int phandle = first + i < intc.length ? intc[first + i] : 0;
            for (InterruptPin p : hartPins) {
                cells[k++] = phandle;
                cells[k++] = p.mipBit();
            }
        }
        return cells;
    }
}
