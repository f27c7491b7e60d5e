package org.orrery.device.support;

import org.orrery.machine.irq.IrqLine;

/**
 * A platform interrupt controller as a board sees it: numbered input lines that devices drive. The
 * virt board answers {@code Board.platformIrq(n)} with input {@code n} of its PLIC.
 */
public interface InterruptController {
    /** Input {@code source}; throws {@link org.orrery.qom.QomException} when the controller has no such input. */
    IrqLine input(int source);

    /** The number of inputs, including any reserved input 0. */
    int inputCount();
}
