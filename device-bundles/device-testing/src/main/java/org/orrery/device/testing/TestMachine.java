package org.orrery.device.testing;

import org.orrery.machine.Machine;
import org.orrery.machine.MachineOptions;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.device.Device;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.SafePoint;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * A machine for unit tests: a real type registry and object tree, a real address space, a
 * {@link ManualClock}, everything inline on the test thread. Platform interrupts go to the board when one
 * exists, otherwise to recorded lines ({@link #irqLevel}). Shutdown, reset and quit are recorded.
 *
 * <p>Devices see it as a {@link Machine} through a proxy ({@link #machine()}) that forwards each call to the
 * method of the same signature here, so methods the machine API gains later need no change in this class
 * (unknown ones return null/0/false).
 */
public final class TestMachine {
    private final Machine proxy = (Machine) java.lang.reflect.Proxy.newProxyInstance(Machine.class.getClassLoader(),
            new Class<?>[]{Machine.class}, this::invoke);
    private final TypeRegistryImpl registry = new TypeRegistryImpl();
    private final ObjectTree tree;
    private final ManualClock clock = new ManualClock();
    private final AddressSpace memory = new AddressSpace("system", MemoryRegion.container("system", 1L << 56));
    private final MachineOptions options = new MachineOptions();
    private final Map<Integer, Boolean> irqs = new HashMap<>();
    private final Map<Integer, Integer> irqEdges = new HashMap<>();
    public final List<String> events = new ArrayList<>();
    private Integer exitStatus;
    private RunState state = RunState.PRELAUNCH;

    public TestMachine(TypeProvider... providers) {
        register("device", TypeDescription.named("device").parent("object").abstractType().property(Device.REALIZED));
        register("sys-bus-device", TypeDescription.named("sys-bus-device").parent("device").abstractType());
        register("bus", TypeDescription.named("bus").parent("object").abstractType());
        register("cpu", TypeDescription.named("cpu").parent("device").abstractType().properties(CpuDevice.HART_ID, CpuDevice.RESET_VECTOR));
        register("machine", TypeDescription.named("machine").parent("object").abstractType()
                .properties(Board.RAM_SIZE, Board.MEMORY_BACKEND, Board.CPU_TYPE, Board.SMP, Board.FIRMWARE,
                        Board.KERNEL, Board.INITRD, Board.APPEND, Board.DTB, Board.DUMPDTB, Board.SERIAL_CHARDEV));
        register("chardev", TypeDescription.named("chardev").parent("object").abstractType());
        register("chardev-buffer", TypeDescription.named("chardev-buffer").parent("chardev").creates(BufferChardev::new));
        for (TypeProvider p : providers) register(p.describe().name(), p.describe());
        tree = new ObjectTree(registry, SafePoint.inline());
        tree.attach(Machine.class, proxy);
        tree.container("/objects");
        tree.container("/chardevs");
        tree.container("/blockdevs");
    }

    /** Adds a type (for example a fake CPU under the name the board asks for). */
    public TestMachine register(String key, TypeDescription d) {
        registry.add("test:" + key + ":" + System.identityHashCode(d), d, "test");
        return this;
    }

    /** Adds derivers (types made from others, as virtio-pci's foo-pci from foo-device). */
    public TestMachine withDerivers(org.orrery.qom.TypeDeriver... derivers) {
        for (org.orrery.qom.TypeDeriver d : derivers) registry.addDeriver(d, d, "test");
        return this;
    }

    /** Registers {@link FakeCpu} as {@code typeName} (a subtype of "cpu"). */
    public TestMachine withFakeCpu(String typeName) {
        return register(typeName, TypeDescription.named(typeName).parent("cpu").creates(FakeCpu::new));
    }

    /** Registers {@link MemoryBlockNode} as {@code typeName}. */
    public TestMachine withBlockNodes(String typeName) {
        return register(typeName, TypeDescription.named(typeName).parent("object")
                .properties(MemoryBlockNode.SIZE, MemoryBlockNode.READ_ONLY).creates(MemoryBlockNode::new));
    }

    /** Registers a RAM memory backend type named "memory-backend-ram" backed by an arena. */
    public TestMachine withRamBackend() {
        return register("memory-backend-ram", TypeDescription.named("memory-backend-ram").parent("object")
                .property(TestRam.SIZE).creates(TestRam::new));
    }

    /** Maps {@code size} bytes of RAM at {@code base} for DMA tests. */
    public MemoryRegion mapRam(long base, long size) {
        MemoryRegion r = MemoryRegion.ram("test-ram@" + Long.toHexString(base), Arena.ofAuto().allocate(size, 8));
        memory.root().addSubregion(base, r);
        return r;
    }

    /** Creates an object at an absolute path (parents created as containers). */
    public QObject create(String path, String typeName) {
        int slash = path.lastIndexOf('/');
        QObject parent = tree.container(path.substring(0, slash));
        return tree.createChild(parent, path.substring(slash + 1), typeName);
    }

    /** Creates an object at {@code path}, sets {@code name=value} properties as the command line would, and realizes it. */
    public QObject realized(String path, String typeName, String... properties) {
        QObject o = create(path, typeName);
        for (String p : properties) {
            int eq = p.indexOf('=');
            o.setProperty(p.substring(0, eq), org.orrery.qom.Value.ofText(p.substring(0, eq), p.substring(eq + 1)));
        }
        o.realize();
        return o;
    }

    public ManualClock manualClock() { return clock; }

    /** The level of platform interrupt {@code n} as last driven (when no board handles platform interrupts). */
    public boolean irqLevel(int n) { return irqs.getOrDefault(n, false); }

    /** How many times platform interrupt {@code n} went from low to high. */
    public int irqRaises(int n) { return irqEdges.getOrDefault(n, 0); }

    public Integer exitStatus() { return exitStatus; }

    public String name() { return "test"; }
    public ObjectTree tree() { return tree; }
    public ManualClock clock() { return clock; }
    public AddressSpace systemMemory() { return memory; }
    public RunState runState() { return state; }

    public Board board() { return tree.resolve("/machine") instanceof Board b ? b : null; }

    public Board createBoard(String machineName) {
        String t = machineName.endsWith("-machine") ? machineName : machineName + "-machine";
        QObject o = tree.createChild(tree.root(), "machine", t);
        tree.container("/machine/peripheral");
        tree.container("/machine/peripheral-anon");
        return (Board) o;
    }

    public IrqLine platformIrq(int source) {
        Board b = board();
        if (b != null) return b.platformIrq(source);
        return level -> {
            if (level && !irqs.getOrDefault(source, false)) irqEdges.merge(source, 1, Integer::sum);
            irqs.put(source, level);
        };
    }

    public HartEnvironment hartEnvironment() { return new HartEnvironment(memory, clock, 10_000_000L); }
    public MachineOptions options() { return options; }
    public String pauseReason() { return null; }

    public void build() {
        Board b = board();
        b.realizeWithColdPlugged();
        b.loadImages();
        for (var h : b.harts()) h.reset();
    }

    public void resume() { state = RunState.RUNNING; }
    public void pause() { state = RunState.PAUSED; }
    public void pause(RunState s, String reason) { state = s; }

    public void reset(String reason) {
        events.add("reset:" + reason);
        for (QObject o : tree.all()) if (o instanceof Device d && o.isRealized() && !(o instanceof Board)) d.reset();
        Board b = board();
        if (b != null) { b.reset(); b.loadImages(); }
    }

    public void requestPowerdown() { events.add("powerdown"); }

    public void shutdown(boolean byGuest, String reason, int status) {
        events.add("shutdown:" + reason + ":" + status);
        state = RunState.SHUTDOWN;
        exitStatus = status;
    }

    public void quit(int status) { events.add("quit:" + status); exitStatus = status; state = RunState.SHUTDOWN; }

    /** The machine as devices see it. */
    public Machine machine() { return proxy; }

    private Object invoke(Object self, java.lang.reflect.Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> self == args[0];
                case "hashCode" -> System.identityHashCode(self);
                default -> "TestMachine";
            };
        }
        java.lang.reflect.Method own;
        try {
            own = TestMachine.class.getMethod(method.getName(), method.getParameterTypes());
        } catch (NoSuchMethodException e) {
            Class<?> r = method.getReturnType();
            if (r == boolean.class) return false;
            if (r == int.class) return 0;
            if (r == long.class) return 0L;
            return null;
        }
        try {
            return own.invoke(this, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    public <T> T call(Callable<T> task) { return tree.safePoint().call(task); }
}
