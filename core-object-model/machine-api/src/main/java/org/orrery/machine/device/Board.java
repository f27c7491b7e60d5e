package org.orrery.machine.device;

import org.orrery.machine.backend.MemoryBackend;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.qom.ObjectType;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * Realizes the board, then the cold-plugged devices ({@code -device}, {@code device_add} before the board
     * existed) in the order they were added, as QEMU realizes them: buses hand out slots in that order.
     */
    public final void realizeWithColdPlugged() {
        realize();
        List<QObject> coldPlugged = new ArrayList<>();
        for (String holder : new String[]{"/machine/peripheral", "/machine/peripheral-anon"}) {
            QObject h = tree().resolve(holder);
            if (h != null) coldPlugged.addAll(h.children().values());
        }
        coldPlugged.sort((a, b) -> Long.compare(a.creationSerial(), b.creationSerial()));
        for (QObject d : coldPlugged) if (!d.isRealized()) d.realize();
    }

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
        QObject o = tree().createChild(parent, childName, typeName);
        made.put(o.path(), new BoardDevice(typeName, parent.path(), childName));
        return o;
    }

    // ---- devices the board made, and making them again when their type comes back ----

    /**
     * How the board made one of its devices (through {@link #createDevice}): enough to make it again at the
     * same place when its type's bundle goes and comes back.
     */
    public record BoardDevice(String type, String parentPath, String name) {
        public String path() { return (parentPath.equals("/") ? "" : parentPath) + "/" + name; }
    }

    /** Every device the board made, by path, in creation order. */
    private final Map<String, BoardDevice> made = new LinkedHashMap<>();
    /** Devices whose type went away, by path: the properties they had been given, to set again. */
    private final Map<String, ObjectNode> missing = new LinkedHashMap<>();

    /** The recipe of {@code device} when the board made it (and it is still that object's place), else null. */
    public final BoardDevice boardDevice(QObject device) {
        BoardDevice d = made.get(device.path());
        return d != null && device.type().isA(d.type()) ? d : null;
    }

    /** Every device the board made, in creation order. */
    public final List<BoardDevice> boardDevices() { return List.copyOf(made.values()); }

    /**
     * Called (on the machine thread) just before a device the board made is removed because its type's bundle
     * went away: remembers the properties it was given, so {@link #recreateMissing} can make it again.
     */
    public final void deviceTypeRemoving(QObject device) {
        BoardDevice d = boardDevice(device);
        if (d == null) return;
        missing.put(d.path(), device.setValues());
    }

    /** The board's devices that are gone with their type: path to type name. */
    public final Map<String, String> missingDevices() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String path : missing.keySet()) out.put(path, made.get(path).type());
        return out;
    }

    /**
     * Makes again, at the same place and with the same properties, every missing device whose type is
     * available now, and realizes it. Returns the devices made; a device that cannot be made stays missing
     * and the error is thrown after the others were tried.
     */
    public final List<QObject> recreateMissing() {
        List<QObject> out = new ArrayList<>();
        RuntimeException failure = null;
        for (Map.Entry<String, ObjectNode> e : new ArrayList<>(missing.entrySet())) {
            BoardDevice d = made.get(e.getKey());
            Optional<ObjectType> t = tree().registry().find(d.type());
            if (t.isEmpty() || t.get().isAbstract()) continue;
            QObject parent = tree().container(d.parentPath());
            if (parent.child(d.name()) != null) { missing.remove(e.getKey()); continue; }
            QObject o;
            try {
                o = tree().createRealized(parent, d.name(), d.type(), e.getValue());
            } catch (RuntimeException ex) {
                if (failure == null) failure = ex;
                continue;
            }
            missing.remove(e.getKey());
            deviceRecreated(o);
            out.add(o);
        }
        if (failure != null) throw failure;
        return out;
    }

    /** Told that a device the board made was made again after its type came back (update fields that pointed at the old one). */
    protected void deviceRecreated(QObject device) { }

    /** A size as JSON: unsigned, so one above 2^63 stays the (refusable) size it is. */
    private static com.fasterxml.jackson.databind.JsonNode unsigned(long size) {
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        return size >= 0 ? f.numberNode(size) : f.numberNode(new java.math.BigInteger(Long.toUnsignedString(size)));
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
                o.setProperty("size", org.orrery.qom.Value.ofJson("size", unsigned(get(RAM_SIZE))));
                tree().container("/objects").addChild(defaultId, o);
                o.realize();
            }
        }
        if (!(o instanceof MemoryBackend mb)) throw new QomException("'" + o.path() + "' is not a memory backend");
        if (!o.isRealized()) o.realize();
        return mb;
    }
}
