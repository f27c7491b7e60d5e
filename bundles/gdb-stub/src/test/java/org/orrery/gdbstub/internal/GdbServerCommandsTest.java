package org.orrery.gdbstub.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.StopReason;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.SafePoint;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.lang.reflect.Proxy;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gdbserver and query-gdbserver through the real command layer, on a fake Machine without a board. */
@Timeout(20)
class GdbServerCommandsTest {
    private final CommandLayerImpl layer = new CommandLayerImpl();
    private final GdbServerCommands module = new GdbServerCommands();
    private ObjectTree tree;
    private volatile RunState state = RunState.PRELAUNCH;
    private volatile Machine.DebugListener listener;

    @BeforeEach void setUp() {
        tree = new ObjectTree(new TypeRegistryImpl(), SafePoint.inline());
        Machine machine = (Machine) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Machine.class}, (p, m, a) -> switch (m.getName()) {
            case "runState" -> state;
            case "tree" -> tree;
            case "name" -> "fake";
            case "board" -> null;
            case "pause" -> { state = (RunState) a[0]; yield null; }
            case "resume" -> { state = RunState.RUNNING; yield null; }
            case "setDebugListener" -> { listener = (Machine.DebugListener) a[0]; yield null; }
            case "call" -> ((Callable<?>) a[0]).call();
            case "toString" -> "fake machine";
            case "hashCode" -> 1;
            case "equals" -> p == a[0];
            default -> throw new UnsupportedOperationException(m.getName());
        });
        tree.attach(Machine.class, machine);
        layer.add("gdb", module, "gdb-stub");
    }

    @AfterEach void tearDown() { module.deactivate(); }

    private JsonNode run(String command, String device) {
        Value args = device == null ? null : Value.ofJson("arguments", JsonNodeFactory.instance.objectNode().put("device", device));
        return layer.execute(tree, command, args, Session.INTERNAL);
    }

    @Test void theSchemaDeclaresExactlyTheHandledCommands() {
        assertTrue(layer.command("gdbserver").isPresent());
        assertTrue(layer.command("query-gdbserver").isPresent());
        assertTrue(module instanceof AbstractCommandModule);
        assertEquals(module.handlers().keySet(), java.util.Set.of("gdbserver", "query-gdbserver"));
    }

    @Test void startQueryAttachAndStop() throws Exception {
        assertFalse(run("query-gdbserver", null).get("enabled").booleanValue());
        run("gdbserver", "tcp:127.0.0.1:0");
        JsonNode info = run("query-gdbserver", null);
        assertTrue(info.get("enabled").booleanValue());
        assertEquals("tcp:127.0.0.1:0", info.get("device").textValue());
        int port = info.get("port").intValue();
        assertTrue(port > 0);
        assertNotNull(listener, "the stub hooks the machine's debug listener");
        try (SocketChannel c = SocketChannel.open(new java.net.InetSocketAddress("127.0.0.1", port))) {
            for (int i = 0; i < 200 && !run("query-gdbserver", null).get("connected").booleanValue(); i++) Thread.sleep(10);
            assertTrue(run("query-gdbserver", null).get("connected").booleanValue());
        }
        run("gdbserver", "none");
        assertFalse(run("query-gdbserver", null).get("enabled").booleanValue());
        assertNull(listener);
    }

    @Test void aSecondGdbserverReplacesTheFirst() {
        run("gdbserver", "tcp:127.0.0.1:0");
        int first = run("query-gdbserver", null).get("port").intValue();
        run("gdbserver", "tcp:127.0.0.1:0");
        int second = run("query-gdbserver", null).get("port").intValue();
        assertTrue(first > 0 && second > 0);
        if (first != second)
            assertThrows(java.io.IOException.class, () -> SocketChannel.open(new java.net.InetSocketAddress("127.0.0.1", first)).close());
    }

    @Test void badDevicesAreClearErrors() {
        QomException e = assertThrows(QomException.class, () -> run("gdbserver", "serial:ttyS0"));
        assertTrue(e.getMessage().contains("invalid device 'serial:ttyS0'"), e.getMessage());
    }

    @Test void monitorWithoutTheHumanMonitorSaysSo() {
        Machine m = tree.attachment(Machine.class);
        String text = new MachineTarget(m, layer, "gdb test").monitor("info status");
        assertTrue(text.contains("human-monitor-command"), text);
        assertTrue(new MachineTarget(m, null, "gdb test").monitor("info status").contains("not available"));
    }
}
