package org.orrery.machine.device;

import org.orrery.machine.backend.MemoryBackend;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.qom.ObjectType;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The base of machine types (type "machine"): the object at {@code /machine} that composes a board from
 * devices created by type name through the registry. Boot options (-bios, -kernel, -append ...) are its
 * properties, as in QEMU.
 */
public abstract class Board extends Device {
    public static final Property<Long> RAM_SIZE = Property.of("ram-size", PropertyTypes.SIZE).defaultValue(128L << 20)
            .description("guest RAM size (-m)");
    public static final Property<String> MEMORY_BACKEND = Property.of("memory-backend", PropertyTypes.STR)
            .description("id of a memory-backend object to use as RAM instead of a default one");
    public static final Property<String> CPU_TYPE = Property.of("cpu-type", PropertyTypes.STR)
            .description("the CPU type (-cpu)");
    public static final Property<Long> SMP = Property.of("smp", PropertyTypes.UINT32).defaultValue(1L)
            .description("number of harts (-smp)");
    public static final Property<String> FIRMWARE = Property.of("firmware", PropertyTypes.STR)
            .description("firmware image (-bios): a path, 'default' or 'none'");
    public static final Property<String> KERNEL = Property.of("kernel", PropertyTypes.STR).description("kernel image (-kernel)");
    public static final Property<String> INITRD = Property.of("initrd", PropertyTypes.STR).description("initial ram disk (-initrd)");
    public static final Property<String> APPEND = Property.of("append", PropertyTypes.STR).description("kernel command line (-append)");
    public static final Property<String> DTB = Property.of("dtb", PropertyTypes.STR).description("device tree blob to use instead of a generated one (-dtb)");
    public static final Property<String> SERIAL_CHARDEV = Property.of("serial-chardev", PropertyTypes.STR).defaultValue("serial0")
            .description("id of the chardev the first UART uses (-serial)");
    public static final Property<String> DUMPDTB = Property.of("dumpdtb", PropertyTypes.STR).description("write the generated device tree blob to this file and exit");

    /** The harts of this board, in hart-id order (valid once realized). */
    public abstract List<Hart> harts();

    /** The CPU objects of this board. */
    public List<CpuDevice> cpus() {
        List<CpuDevice> out = new ArrayList<>();
        for (QObject o : tree().all()) if (o instanceof CpuDevice c && o.isRealized()) out.add(c);
        return out;
    }

    /** The device tree for the next boot, built from the board's own nodes and every contributing device. */
    public abstract FdtNode buildDeviceTree();

    /** Re-loads firmware and images and re-creates the boot ROM: called on every system reset. */
    public abstract void loadImages();

    /** Input {@code source} of the platform interrupt controller. */
    public abstract org.orrery.machine.irq.IrqLine platformIrq(int source);

    /** Raises the board's power button (system_powerdown); boards without one ignore it. */
    public void powerButton() { }

    /**
     * Creates a device by type name under {@code parent} as {@code childName}; a type that no installed bundle
     * provides is a clear error naming it.
     */
    protected final QObject createDevice(QObject parent, String childName, String typeName) {
        Optional<ObjectType> t = tree().registry().find(typeName);
        if (t.isEmpty()) {
            String why = tree().registry().unavailable().get(typeName);
            throw new QomException("machine type '" + type().name() + "' needs device type '" + typeName + "', "
                    + (why != null ? "which is not available: " + why : "which no installed bundle provides"));
        }
        return tree().createChild(parent, childName, typeName);
    }

    /** The memory backend to use as RAM: the one named by memory-backend, or a new default one. */
    protected final MemoryBackend ramBackend(String defaultId) {
        String id = get(MEMORY_BACKEND);
        QObject o;
        if (id != null) {
            o = tree().resolve("/objects/" + id);
            if (o == null) throw new QomException("Memory backend '" + id + "' not found");
        } else {
            o = tree().resolve("/objects/" + defaultId);
            if (o == null) {
                if (tree().registry().find("memory-backend-ram").isEmpty())
                    throw new QomException("machine type '" + type().name() + "' needs type 'memory-backend-ram', which no installed bundle provides");
                o = tree().create("memory-backend-ram");
                o.setProperty("size", org.orrery.qom.Value.ofJson("size", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.numberNode(get(RAM_SIZE))));
                tree().container("/objects").addChild(defaultId, o);
                o.realize();
            }
        }
        if (!(o instanceof MemoryBackend mb)) throw new QomException("'" + o.path() + "' is not a memory backend");
        if (!o.isRealized()) o.realize();
        return mb;
    }
}
