package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.Machine;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.internal.MachineCommands;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A real command layer and machine (with its own thread) built from plain classes, a small test board
 * with one hart whose debug view reads RAM at 0x80000000, and a chardev that records what is written.
 */
final class TestPlatform implements AutoCloseable {
    static final long RAM = 0x80000000L;
    /** auipc t0,0 / addi a2,t0,40 / csrrs a0,mhartid,zero / ld a1,32(t0) / c.li a1,5 / c.jr ra / jal ra,+32 */
    static final byte[] PROGRAM = bytes(0x00000297, 4, 0x02828613, 4, 0xf1402573, 4, 0x0202b583, 4, 0x4595, 2, 0x8082, 2, 0x020000ef, 4);

    final TypeRegistryImpl registry = new TypeRegistryImpl();
    final CommandLayerImpl layer = new CommandLayerImpl();
    final MachineManagerComponent machines = new MachineManagerComponent(registry);
    final HumanMonitorCommands hmpCommands = new HumanMonitorCommands();
    Machine machine;

    TestPlatform() {
        registry.add("device", TypeDescription.named("device").parent("object").abstractType().property(Device.REALIZED), "test");
        registry.add("machine", TypeDescription.named("machine").parent("object").abstractType()
                .properties(Board.RAM_SIZE, Board.SMP, Board.FIRMWARE), "test");
        registry.add("test-machine", TypeDescription.named("test-machine").parent("machine").creates(TestBoard::new), "test.bundle");
        registry.add("test-device", TypeDescription.named("test-device").parent("device")
                .property(TestDevice.LEVEL).creates(TestDevice::new), "test.bundle");
        registry.add("user-creatable", TypeDescription.interfaceNamed("user-creatable"), "test");
        registry.add("test-object", TypeDescription.named("test-object").parent("object").implementing("user-creatable")
                .property(TestDevice.LEVEL).creates(QObject::new), "test.bundle");
        registry.add("chardev-test", TypeDescription.named("chardev-test").parent("object").creates(TestChardev::new), "test.bundle");
        layer.add("core", new CoreCommands(registry), "core");
        layer.add("machine", new MachineCommands(registry), "machine");
        layer.add("hmp", hmpCommands, "hmp");
    }

    /** A machine with the test board, built and left paused (as -S). */
    TestPlatform withBoard() {
        machine = machines.create("main");
        machine.call(() -> {
            machine.createBoard("test");
            machine.build();
            return null;
        });
        return this;
    }

    TestPlatform withoutBoard() {
        machine = machines.create("main");
        return this;
    }

    JsonNode qmp(String command, ObjectNode args) {
        return layer.execute(machine.tree(), command, args == null ? null : Value.ofJson("arguments", args), Session.INTERNAL);
    }

    String hmp(String line) {
        return qmp("human-monitor-command", JsonNodeFactory.instance.objectNode().put("command-line", line)).textValue();
    }

    TestChardev chardev(String id) {
        return machine.call(() -> (TestChardev) machine.tree().createChild(machine.tree().container("/chardevs"), id, "chardev-test"));
    }

    @Override public void close() { for (Machine m : machines.machines()) machines.destroy(m); }

    private static byte[] bytes(int... pairs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < pairs.length; i += 2)
            for (int k = 0; k < pairs[i + 1]; k++) b.write(pairs[i] >>> (8 * k));
        return b.toByteArray();
    }

    static final class TestDevice extends Device {
        static final Property<Long> LEVEL = Property.of("level", PropertyTypes.UINT32).defaultValue(0L)
                .settable(org.orrery.qom.Settable.ALWAYS).description("a test value");
    }

    static final class TestBoard extends Board {
        private final TestHart hart = new TestHart();

        @Override protected void onRealize() {
            MemoryRegion ram = MemoryRegion.ram("test.ram", Arena.ofAuto().allocate(1 << 16, 8));
            machine().systemMemory().root().addSubregion(RAM, ram);
            MemoryRegion rom = MemoryRegion.rom("test.rom", Arena.ofAuto().allocate(0x100, 8));
            machine().systemMemory().root().addSubregion(0x1000, rom);
            hart.memory = machine().systemMemory();
        }

        @Override public List<Hart> harts() { return List.of(hart); }
        @Override public FdtNode buildDeviceTree() { return new FdtNode(""); }
        @Override public void loadImages() { machine().systemMemory().writeBytes(RAM, PROGRAM, 0, PROGRAM.length); }
        @Override public IrqLine platformIrq(int source) { return IrqLine.UNCONNECTED; }
    }

    /** A hart that executes nothing; its registers are plain fields and its memory view is the physical one. */
    static final class TestHart implements Hart {
        org.orrery.machine.memory.AddressSpace memory;
        final long[] x = new long[32];
        final long[] f = new long[32];
        long pc;

        @Override public int hartId() { return 0; }
        @Override public StopReason run(long budget) { return StopReason.WAITING_FOR_INTERRUPT; }
        @Override public long instructionsRetired() { return 0; }
        @Override public void reset() { pc = RAM; x[2] = RAM + 0x8000; }
        @Override public IrqLine interruptPin(InterruptPin pin) { return IrqLine.UNCONNECTED; }
        @Override public void requestExit() { }
        @Override public boolean waitingForInterrupt() { return true; }

        @Override public HartDebug debug() {
            return new HartDebug() {
                public String architecture() { return "riscv:rv64"; }
                public int xlen() { return 64; }
                public long pc() { return pc; }
                public void setPc(long v) { pc = v; }
                public long gpr(int i) { return i == 0 ? 0 : x[i]; }
                public void setGpr(int i, long v) { x[i] = v; }
                public long fpr(int i) { return f[i]; }
                public void setFpr(int i, long v) { f[i] = v; }
                public Long csr(int n) {
                    return switch (n) {
                        case 0xf14 -> 0L;
                        case 0x300 -> 0xa00000000L;
                        case 0x305 -> 0x80000100L;
                        case 0x304, 0x344, 0x303, 0x302, 0x105, 0x341, 0x141, 0x342, 0x142, 0x343, 0x143, 0x340, 0x140, 0x180 -> 0L;
                        default -> null;
                    };
                }
                public boolean setCsr(int n, long v) { return false; }
                public int privilege() { return 3; }
                public int readMemory(long a, byte[] d, int o, int l) {
                    for (int i = 0; i < l; i++) {
                        try {
                            memory.readBytes(a + i, d, o + i, 1);
                        } catch (org.orrery.machine.memory.BusError e) {
                            return i;
                        }
                    }
                    return l;
                }
                public int writeMemory(long a, byte[] s, int o, int l) { memory.writeBytes(a, s, o, l); return l; }
                public long translate(long va) { return va; }
                public void addBreakpoint(long a) { }
                public void removeBreakpoint(long a) { }
                public void addWatchpoint(long a, long l, int k) { }
                public void removeWatchpoint(long a, long l, int k) { }
                public long lastWatchpointAddress() { return 0; }
                public void setSingleStep(boolean on) { }
            };
        }
    }

    /** A chardev whose output is recorded; {@link #type} delivers input to the front-end on the machine thread. */
    static final class TestChardev extends QObject implements CharBackend {
        private final ByteArrayOutputStream written = new ByteArrayOutputStream();
        CharFrontEnd frontEnd;
        boolean connected = true;
        int capacity = Integer.MAX_VALUE;

        @Override public void attach(CharFrontEnd f) { frontEnd = f; }
        @Override public void detach(CharFrontEnd f) { if (frontEnd == f) frontEnd = null; }
        @Override public synchronized int write(byte[] d, int o, int l) {
            int n = Math.min(l, capacity);
            if (capacity != Integer.MAX_VALUE) capacity -= n;
            written.write(d, o, n);
            return n;
        }
        @Override public void frontEndReady() { }
        @Override public boolean isConnected() { return connected; }

        synchronized String output() { return written.toString(StandardCharsets.UTF_8); }

        synchronized String take() {
            String s = output();
            written.reset();
            return s;
        }
    }
}
