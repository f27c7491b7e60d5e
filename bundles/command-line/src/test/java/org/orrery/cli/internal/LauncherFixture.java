package org.orrery.cli.internal;

import org.orrery.command.CommandLayer;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.device.DeviceBus;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.internal.MachineCommands;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.machine.irq.IrqLine;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeRegistry;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;

/**
 * The real command layer, machine runtime and type registry with a small board ("test") and device
 * ("gizmo"), and a launcher on them: what the command-line tests run against without a container.
 */
final class LauncherFixture implements AutoCloseable {
    static final Property<Long> ADDR = Property.of("addr", PropertyTypes.UINT64).description("where it is mapped");
    static final Property<Long> PORT = Property.of("port", PropertyTypes.UINT8).required();
    static final Property<Boolean> EXT_X = Property.of("x", PropertyTypes.BOOL).defaultValue(true).description("an extension");

    static final class TestBoard extends Board {
        public List<Hart> harts() { return List.of(); }
        public FdtNode buildDeviceTree() { return new FdtNode(""); }
        public void loadImages() { }
        public IrqLine platformIrq(int source) { return IrqLine.UNCONNECTED; }
    }

    static final class Gizmo extends Device { }

    /** A bus of one slot, as a virtio transport's. */
    static final class TestBus extends DeviceBus {
        @Override public int capacity() { return 1; }
        @Override protected void plugged(Device d) { }
        @Override protected void unplugged(Device d) { }
    }

    /** A device that provides a bus ("test-bus.N"). */
    static final class Hub extends Device {
        @Override protected void onRealize() {
            if (children().isEmpty()) tree().createChild(this, DeviceBus.freeName(tree(), "test-bus"), "test-bus");
        }
    }

    /** A device that goes on a test bus. */
    static final class Widget extends Device {
        @Override public String busType() { return "test-bus"; }
        @Override protected void onRealize() { plugIntoBus(); }
        @Override protected void onUnrealize() { unplugFromBus(); }
    }

    final TypeRegistryImpl types = new TypeRegistryImpl();
    final MachineManagerComponent machines;
    final CommandLayerImpl commands = new CommandLayerImpl();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final MachineLauncher launcher;

    LauncherFixture() {
        types.add("m", TypeDescription.named("machine").abstractType()
                .properties(Board.RAM_SIZE, Board.SMP, Board.KERNEL, Board.CPU_TYPE, Board.FIRMWARE), "t");
        types.add("d", TypeDescription.named("device").abstractType(), "t");
        types.add("b", TypeDescription.named("test-machine").parent("machine").description("A test board").creates(TestBoard::new), "t");
        types.add("g", TypeDescription.named("gizmo").parent("device").property(ADDR).creates(Gizmo::new), "t");
        types.add("bus", TypeDescription.named("bus").abstractType(), "t");
        types.add("tb", TypeDescription.named("test-bus").parent("bus").creates(TestBus::new), "t");
        types.add("h", TypeDescription.named("hub").parent("device").creates(Hub::new), "t");
        types.add("w", TypeDescription.named("widget").parent("device").property(PORT).creates(Widget::new), "t");
        types.add("cpu", TypeDescription.named("cpu").parent("device").abstractType(), "t");
        types.add("tc", TypeDescription.named("test-cpu").parent("cpu").property(EXT_X).creates(Gizmo::new), "t");
        machines = new MachineManagerComponent(types);
        commands.add("core", new CoreCommands(types), "core");
        commands.add("machine", new MachineCommands(types), "machine");
        commands.add("jobs", new org.orrery.machine.job.JobCommands(), "machine");
        launcher = new MachineLauncher(new MachineLauncher.Environment() {
            public MachineManager machines() { return machines; }
            public CommandLayer commands() { return commands; }
            public TypeRegistry types() { return types; }
            public PrintStream out() { return new PrintStream(out, true); }
        });
    }

    @Override public void close() { for (Machine m : machines.machines()) machines.destroy(m); }
}
