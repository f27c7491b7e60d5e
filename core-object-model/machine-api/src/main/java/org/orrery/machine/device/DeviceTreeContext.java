package org.orrery.machine.device;

import org.orrery.machine.fdt.FdtNode;

/** What a device needs to write its node: where to put it and the phandles of what it refers to. */
public interface DeviceTreeContext {
    FdtNode root();

    /** The {@code /soc} node where memory-mapped devices go. */
    FdtNode soc();

    FdtNode chosen();

    /** The phandle of the platform interrupt controller (the PLIC on virt). */
    int interruptParent();

    /** A phandle for the named thing (allocated on first use, shared by name). */
    int phandle(String label);

    /** The phandles of every hart's local interrupt controller, in hart order. */
    int[] hartInterruptControllers();

    /** The timebase of the platform timer (10 MHz on virt). */
    long timebaseFrequency();
}
