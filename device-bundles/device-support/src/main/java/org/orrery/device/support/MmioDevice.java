package org.orrery.device.support;

import org.orrery.machine.Machine;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.device.SysBusDevice;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateField;
import org.orrery.machine.state.StateRecord;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeDescription;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A system-bus device with one register region at {@code addr} and at most one platform interrupt
 * ({@code irq}): the common shape of the virt board's devices. A subclass declares only what is its own:
 *
 * <ul>
 *   <li>its properties, as {@code static final Property} fields: {@link #type} makes them the type's;</li>
 *   <li>its registers, returned by {@link #realizeRegisters()} (made with {@link #registers(long)}), which
 *       this class maps as {@code TYPE@addr}, resets with the device and unmaps on unrealize;</li>
 *   <li>what it connects beyond that ({@link #connect()}, undone by {@link #disconnect()});</li>
 *   <li>its device-tree node ({@link #deviceTreeNode}), started by {@link #socNode} with {@code reg} and,
 *       when {@code irq} is set, {@code interrupts}/{@code interrupt-parent}.</li>
 * </ul>
 *
 * The interrupt, when {@code irq} is set, is connected to the platform interrupt controller before the
 * registers are made ({@link #irq()}) and lowered and disconnected on unrealize.
 */
public abstract class MmioDevice extends SysBusDevice {
    public static final Property<Long> ADDR = Property.of("addr", PropertyTypes.UINT64).required()
            .description("base address of the registers in system memory");
    public static final Property<Long> IRQ = Property.of("irq", PropertyTypes.UINT32)
            .description("platform interrupt (PLIC source) the device drives");

    private GuestLog log;
    private IrqLine irq = IrqLine.UNCONNECTED;
    private RegisterBank registers;

    /**
     * The type of an MMIO device without an interrupt: a "sys-bus-device" named {@code name} with {@code addr}
     * and every {@code static final Property} field of {@code deviceClass} (and of its superclasses below this
     * one), in declaration order.
     */
    public static TypeDescription type(String name, Class<? extends MmioDevice> deviceClass, Supplier<? extends QObject> factory) {
        return describe(name, deviceClass, factory, ADDR);
    }

    /** {@link #type} for a device that drives one platform interrupt: {@code irq} is a property too. */
    public static TypeDescription typeWithIrq(String name, Class<? extends MmioDevice> deviceClass, Supplier<? extends QObject> factory) {
        return describe(name, deviceClass, factory, ADDR, IRQ);
    }

    private static TypeDescription describe(String name, Class<?> deviceClass, Supplier<? extends QObject> factory, Property<?>... common) {
        Set<Property<?>> props = new LinkedHashSet<>(java.util.List.of(common));
        Deque<Class<?>> chain = new ArrayDeque<>();
        for (Class<?> c = deviceClass; c != null && c != MmioDevice.class; c = c.getSuperclass()) chain.push(c);
        for (Class<?> c : chain) props.addAll(declaredProperties(c));
        return TypeDescription.named(name).parent("sys-bus-device").properties(props.toArray(new Property<?>[0])).creates(factory);
    }

    private static Set<Property<?>> declaredProperties(Class<?> c) {
        Set<Property<?>> out = new LinkedHashSet<>();
        for (Field f : c.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || !Property.class.isAssignableFrom(f.getType())) continue;
            try {
                f.setAccessible(true);
                out.add((Property<?>) f.get(null));
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read property field " + c.getName() + "." + f.getName(), e);
            }
        }
        return out;
    }

    /** Guest-error and unimplemented-feature logging for this device (once per site). */
    protected final GuestLog log() {
        if (log == null) log = new GuestLog(type().name() + (path().isEmpty() ? "" : " " + path()),
                () -> tree().attachment(Machine.class));
        return log;
    }

    public final long base() { return get(ADDR); }

    /** The platform interrupt: connected while realized when {@code irq} is set, otherwise a line that goes nowhere. */
    protected final IrqLine irq() { return irq; }

    /** A new, empty register bank of {@code size} bytes for this device, to fill and return from {@link #realizeRegisters()}. */
    protected final RegisterBank registers(long size) { return new RegisterBank(type().name(), log(), size); }

    /**
     * Validates the properties, allocates the device's state and returns its registers. Throwing here
     * leaves nothing mapped or connected.
     */
    protected RegisterBank realizeRegisters() {
        throw new UnsupportedOperationException(getClass().getName() + " overrides neither realizeRegisters() nor onRealize()");
    }

    /** Connects what the device uses beyond its registers (backends, timers); runs after the registers are mapped and reset. */
    protected void connect() { }

    /** Undoes {@link #connect()}; runs first on unrealize. */
    protected void disconnect() { }

    @Override protected void onRealize() {
        IrqLine line = isSet(IRQ) ? platformIrq((int) (long) get(IRQ)) : IrqLine.UNCONNECTED;
        RegisterBank bank = realizeRegisters();
        mapMmio(base(), MemoryRegion.mmio(type().name() + "@" + Long.toHexString(base()), bank.size(), bank));
        irq = line;
        registers = bank;
        bank.reset();
        try {
            connect();
        } catch (RuntimeException e) {
            onUnrealize();
            throw e;
        }
    }

    @Override protected void onUnrealize() {
        try {
            disconnect();
        } finally {
            irq.lower();
            irq = IrqLine.UNCONNECTED;
            registers = null;
            super.onUnrealize();
        }
    }

    /**
     * A state description for a device of this family: its stored registers (field {@code registers}, by
     * register name) and what the subclass adds. A device whose state is all in stored registers need not
     * declare one: {@link #stateDescription()} describes its registers already.
     */
    public static <T extends MmioDevice> StateDescription.Builder<T> state(String typeName, Class<T> deviceClass, int version) {
        return StateDescription.of(typeName, deviceClass, version).field(new StateField<T>() {
            @Override public String name() { return "registers"; }
            @Override public String kind() { return "register-bank"; }
            @Override public Object save(T d) { return ((MmioDevice) d).registers.saveStored(); }
            @Override public void check(T d, Object v) {
                if (!(v instanceof StateRecord r)) throw new StateException("saved as something other than registers");
                ((MmioDevice) d).registers.checkStored(r);
            }
            @Override public void load(T d, Object v) { ((MmioDevice) d).registers.loadStored((StateRecord) v); }
        });
    }

    /** The stored registers only; a device with more state overrides this with a description made by {@link #state}. */
    @Override public StateDescription<?> stateDescription() {
        return registers == null ? null : state(type().name(), MmioDevice.class, 1).build();
    }

    /** Gives the registers their reset values; a device with more state resets it after calling this. */
    @Override public void reset() {
        if (registers != null) registers.reset();
    }

    /** This device's node under /soc, or null for none (the default). */
    protected FdtNode deviceTreeNode(DeviceTreeContext context) { return null; }

    /** A node {@code name@addr} with {@code reg} over the registers and the interrupt pair when {@code irq} is set. */
    protected final FdtNode socNode(String name, DeviceTreeContext context) {
        return socNode(name, registers == null ? 0 : registers.size(), context);
    }

    /** {@link #socNode(String, DeviceTreeContext)} with a {@code reg} size of its own. */
    protected final FdtNode socNode(String name, long regSize, DeviceTreeContext context) {
        FdtNode n = FdtNode.at(name, base());
        if (isSet(IRQ)) {
            n.u32("interrupts", get(IRQ));
            n.u32("interrupt-parent", context.interruptParent());
        }
        n.reg(base(), regSize);
        return n;
    }

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        FdtNode n = deviceTreeNode(context);
        if (n != null) context.soc().add(n);
    }
}
