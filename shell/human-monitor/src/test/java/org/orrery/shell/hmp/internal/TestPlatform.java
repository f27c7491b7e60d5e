package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.machine.Machine;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.machine.device.Device;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.testing.TestBoard;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeDescription;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;

/**
 * A real command layer and machine (with its own thread) built from plain classes, a small test board
 * with one hart whose debug view reads RAM at 0x80000000, and a chardev that records what is written.
 */
final class TestPlatform extends org.orrery.machine.testing.TestPlatform {
    static final long RAM = 0x80000000L;
    /** auipc t0,0 / addi a2,t0,40 / csrrs a0,mhartid,zero / ld a1,32(t0) / c.li a1,5 / c.jr ra / jal ra,+32 */
    static final byte[] PROGRAM = bytes(0x00000297, 4, 0x02828613, 4, 0xf1402573, 4, 0x0202b583, 4, 0x4595, 2, 0x8082, 2, 0x020000ef, 4);

    final HumanMonitorCommands hmpCommands = new HumanMonitorCommands();
    Machine machine;

    TestPlatform() {
        board("test", HmpBoard::new);
        registry.add("test-device", TypeDescription.named("test-device").parent("device")
                .property(TestDevice.LEVEL).creates(TestDevice::new), "test.bundle");
        registry.add("test-object", TypeDescription.named("test-object").parent("object").implementing("user-creatable")
                .property(TestDevice.LEVEL).creates(QObject::new), "test.bundle");
        registry.add("chardev-test", TypeDescription.named("chardev-test").parent("object").creates(TestChardev::new), "test.bundle");
        module("hmp", hmpCommands, "hmp");
    }

    /** A machine with the test board, built and left paused (as -S). */
    TestPlatform withBoard() {
        machine = machine("main", "test");
        machine.call(() -> {
            machine.build();
            return null;
        });
        return this;
    }

    TestPlatform withoutBoard() {
        machine = machines.create("main");
        return this;
    }

    JsonNode qmp(String command, ObjectNode args) { return qmp(machine, command, args); }

    String hmp(String line) {
        return qmp("human-monitor-command", JsonNodeFactory.instance.objectNode().put("command-line", line)).textValue();
    }

    TestChardev chardev(String id) {
        return machine.call(() -> (TestChardev) machine.tree().createChild(machine.tree().container("/chardevs"), id, "chardev-test"));
    }

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

    /** The shared test board with 64 KiB of RAM holding {@link #PROGRAM}, a boot ROM at 0x1000, and one hart with the M-mode CSRs the monitor shows. */
    static final class HmpBoard extends TestBoard {
        HmpBoard() {
            super(1, 1 << 16, PROGRAM);
            var csrs = harts.get(0).csrs;
            csrs.clear();
            csrs.put(0xf14, 0L);
            csrs.put(0x300, 0xa00000000L);
            csrs.put(0x305, 0x80000100L);
            for (int n : new int[]{0x304, 0x344, 0x303, 0x302, 0x105, 0x341, 0x141, 0x342, 0x142, 0x343, 0x143, 0x340, 0x140, 0x180}) csrs.put(n, 0L);
        }

        @Override protected void onRealize() {
            super.onRealize();
            machine().systemMemory().root().addSubregion(0x1000, MemoryRegion.rom("test.rom", Arena.ofAuto().allocate(0x100, 8)));
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
