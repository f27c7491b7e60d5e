package org.orrery.device.pci.internal;

import org.orrery.device.pci.PciDevice;

/** The host bridge's own function at 00.0 of pcie.0 ({@value #TYPE}): Red Hat's 1b36:0008, class "Host bridge". */
final class GpexRoot extends PciDevice {
    static final String TYPE = "gpex-root";
    static final String NAME = "gpex_root";

    @Override protected void realizeFunction() {
        setIds(0x1b36, 0x0008, 0x060000, 0, 0x1af4, 0x1100);
    }
}
