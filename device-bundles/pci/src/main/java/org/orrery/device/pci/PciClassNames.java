package org.orrery.device.pci;

import java.util.Map;

/** The names QEMU gives PCI classes (class and subclass) in query-pci, "info pci" and "info qtree". */
public final class PciClassNames {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0x0100, "SCSI controller"), Map.entry(0x0101, "IDE controller"), Map.entry(0x0106, "SATA controller"),
            Map.entry(0x0107, "SAS controller"), Map.entry(0x0180, "Storage controller"), Map.entry(0x0200, "Ethernet controller"),
            Map.entry(0x0280, "Network controller"), Map.entry(0x0300, "VGA controller"), Map.entry(0x0302, "3D controller"),
            Map.entry(0x0380, "Display controller"), Map.entry(0x0401, "Audio controller"), Map.entry(0x0403, "Audio controller"),
            Map.entry(0x0480, "Multimedia controller"), Map.entry(0x0600, "Host bridge"), Map.entry(0x0601, "ISA bridge"),
            Map.entry(0x0604, "PCI bridge"), Map.entry(0x0680, "Bridge"), Map.entry(0x0700, "Serial port"),
            Map.entry(0x0900, "Keyboard"), Map.entry(0x0902, "Mouse"), Map.entry(0x0c03, "USB controller"));

    private PciClassNames() { }

    /** The name, or null for a class QEMU has no name for. */
    public static String of(int classAndSubclass) { return NAMES.get(classAndSubclass); }
}
