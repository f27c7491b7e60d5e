package org.orrery.shell.gogo.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.device.Device;
import org.orrery.machine.internal.MachineManagerComponent;
import org.orrery.machine.testing.TestBoard;
import org.orrery.machine.testing.TestPlatform;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.Settable;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Gogo commands on a real Gogo command processor, a real command layer and a real machine. */
class GogoCommandsTest {

    private final TestPlatform platform = new TestPlatform();
    private final TypeRegistryImpl registry = platform.registry;
    private final CommandLayerImpl layer = platform.layer;
    private final MachineManagerComponent machines = platform.machines;
    private final ThreadIOImpl threadIO = new ThreadIOImpl();
    private CommandProcessorImpl processor;
    private CommandSession session;
    private QmpFunctions qmp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A consumer for pipes: prints the lines of its input that contain a word. */
    public static final class Grep {
        public void grep(String word) throws Exception {
            BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String l; (l = r.readLine()) != null; ) if (l.contains(word)) System.out.println("match: " + l);
        }
    }

    @BeforeEach
    void setUp() {
        registry.add("test-machine", TypeDescription.named("test-machine").parent("machine").creates(GogoCommandsTest::board), "org.example.board");
        registry.add("test-device", TypeDescription.named("test-device").parent("device").property(LEVEL).creates(TestDevice::new), "org.example.devices");
        registry.add("test-object", TypeDescription.named("test-object").parent("object").implementing("user-creatable")
                .property(LEVEL).creates(QObject::new), "org.example.objects");
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        Shell shell = new Shell(layer, machines);
        processor.addCommand("orrery", new OrreryCommands(layer, machines, registry));
        processor.addCommand("test", new Grep());
        qmp = new QmpFunctions(shell, new QmpFunctions.Registrar() {
            @Override public void register(String name, Function f) { processor.addCommand(QmpFunctions.SCOPE, f, name); }
            @Override public void unregister(String name) { processor.removeCommand(QmpFunctions.SCOPE, name); }
        });
        qmp.open();
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true), new PrintStream(out, true));
    }

    @AfterEach
    void tearDown() {
        qmp.close();
        session.close();
        threadIO.stop();
        platform.close();
    }

    private Machine boot() {
        Machine m = machines.create("main");
        m.call(() -> { m.createBoard("test"); m.build(); return null; });
        return m;
    }

    private Object run(String script) throws Exception { return session.execute(script); }

    private String printed() {
        String s = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return s;
    }

    @Test
    void everyCommandIsAQmpFunction() throws Exception {
        boot();
        for (var c : layer.commands()) assertTrue(processor.getCommands().contains("qmp:" + c.name()), c.name());
        assertEquals("""
                {
                  "running" : false,
                  "singlestep" : false,
                  "status" : "prelaunch"
                }""", run("qmp:query-status"));
        // key=value in the text dialect, lists of flat objects as a table
        String props = (String) run("qmp:qom-list path=/machine/peripheral");
        assertTrue(props.startsWith("name  type"), props);
        assertNull(run("qmp:device_add driver=test-device id=d0 level=0x10"));
        assertEquals("16", run("qmp:qom-get path=d0 property=level"));
        // a JSON value inside key=value, and one JSON object for all arguments
        assertNull(run("qmp:qom-set path=d0 property=level 'value=\"7\"'"));
        assertEquals("7", run("qmp:qom-get '{\"path\": \"d0\", \"property\": \"level\"}'"));
        CommandFailed e = assertThrows(CommandFailed.class, () -> run("qmp:qom-get path=nope property=x"));
        assertEquals("Device 'nope' not found", e.getMessage());
        assertThrows(CommandFailed.class, () -> run("qmp:query-status bogus"));
    }

    @Test
    void commandsOfANewBundleAppearAndGo() throws Exception {
        boot();
        assertTrue(!processor.getCommands().contains("qmp:x-test-hello"));
        AbstractCommandModule extra = new AbstractCommandModule("extra-schema.json") {
            {
                on("x-test-hello", (a, c) -> JsonNodeFactory.instance.textNode(("hello " + a.str("name") + "\n").repeat((int) a.integer("times", 1)).strip()));
            }
        };
        layer.add(extra, extra, "org.example.extra");
        assertTrue(processor.getCommands().contains("qmp:x-test-hello"));
        assertEquals("hello you\nhello you", run("qmp:x-test-hello name=you times=2"));
        String doc = (String) run("qmp:x-test-hello --help");
        assertTrue(doc.startsWith("qmp:x-test-hello name=str [times=int]\n  Greets someone."), doc);
        assertTrue(doc.contains("times (optional)  int  how often"), doc);
        assertEquals(doc, run("orrery:help qmp:x-test-hello"));
        layer.remove(extra);
        assertTrue(!processor.getCommands().contains("qmp:x-test-hello"));
        assertThrows(IllegalArgumentException.class, () -> run("qmp:x-test-hello name=you"));
    }

    @Test
    void pipesVariablesAndScripts() throws Exception {
        boot();
        run("orrery:status | test:grep prelaunch");
        assertEquals("match: VM status: paused (prelaunch)\n", printed());
        run("s = (orrery:status)");
        assertEquals("VM status: paused (prelaunch)", session.get("s"));
        run("qmp:query-status | test:grep status");
        assertEquals("match:   \"status\" : \"prelaunch\"\n", printed());
        Path script = Files.createTempFile("orrery", ".gosh");
        Files.writeString(script, """
                orrery:add test-device id=d1 level=3
                lvl = (orrery:get d1 level)
                orrery:set d1 level 5
                orrery:tree /machine | test:grep d1
                """);
        run(Files.readString(script));
        assertEquals("3", session.get("lvl"));
        assertEquals("match:     /d1 (test-device)\n", printed());
        assertEquals("5", run("orrery:get /machine/peripheral/d1 level"));
    }

    @Test
    void humanFriendlyCommands() throws Exception {
        Machine m = boot();
        String types = (String) run("orrery:types");
        assertTrue(types.startsWith("NAME"), types);
        assertTrue(types.contains("test-device     device"), types);
        String devices = (String) run("orrery:types device");
        assertTrue(devices.contains("test-device") && !devices.contains("test-object"), devices);
        assertEquals("no type matches 'zzz'", run("orrery:types zzz"));
        String tree = (String) run("orrery:tree");
        assertTrue(tree.startsWith("/ (container)\n") && tree.contains("\n  /machine (test-machine)\n    /peripheral (container)\n"), tree);
        assertNull(run("orrery:add test-object id=o1 level=2"));
        assertEquals("2", run("orrery:get /objects/o1 level"));
        assertNull(run("orrery:add test-device id=d2"));
        assertTrue(((String) run("orrery:tree /machine/peripheral")).contains("  /d2 (test-device)"));
        assertNull(run("orrery:del d2"));
        assertNull(run("orrery:del o1"));
        assertThrows(CommandFailed.class, () -> run("orrery:del o1"));
        assertEquals("VM status: paused (prelaunch)", run("orrery:status"));
        run("orrery:cont");
        assertEquals(RunState.RUNNING, m.runState());
        assertEquals("VM status: running", run("orrery:status"));
        run("orrery:stop");
        assertEquals("VM status: paused", run("orrery:status"));
        run("orrery:reset");
        String regs = (String) run("orrery:regs");
        assertTrue(regs.startsWith("pc       0000000080000000  privilege M\nx0/zero  0000000000000000  x1/ra"), regs);
        assertTrue(regs.contains("x2/sp    0000000080008000"), regs);
        assertEquals("0000000080000000  97 02 00 00 13 86 82 02                           |........|\n", run("orrery:x 0x80000000 8"));
        assertEquals("0000000080000000  97 02 00 00 13 86 82 02  73 25 40 f1 83 b5 02 02  |........s%@.....|\n",
                run("orrery:xp 0x80000000 16"));
        assertTrue(((String) run("orrery:xp 0x90000000 4")).contains("cannot access memory"));
        String bundles = (String) run("orrery:bundles");
        assertTrue(bundles.contains("org.example.devices: test-device\n"), bundles);
        String help = (String) run("orrery:help");
        assertTrue(help.contains("orrery:tree") && help.contains("qmp:query-status"), help);
        assertTrue(((String) run("orrery:help orrery:x")).contains("orrery:x address"));
    }

    @Test
    void withoutAMachineCommandsSaySoInOneLine() {
        CommandFailed e = assertThrows(CommandFailed.class, () -> run("orrery:status"));
        assertEquals("no machine exists (start Orrery with -machine TYPE, for example -machine virt)", e.getMessage());
        assertThrows(CommandFailed.class, () -> run("qmp:query-status"));
    }

    // ------------------------------------------------------------------ a small board

    static final Property<Long> LEVEL = Property.of("level", PropertyTypes.UINT32).defaultValue(0L).settable(Settable.ALWAYS);

    static final class TestDevice extends Device { }

    /** The shared test board: one hart at RAM with auipc/addi/csrr/ld there. */
    static TestBoard board() {
        byte[] p = {(byte) 0x97, 2, 0, 0, 0x13, (byte) 0x86, (byte) 0x82, 2, 0x73, 0x25, 0x40, (byte) 0xf1, (byte) 0x83, (byte) 0xb5, 2, 2};
        return new TestBoard(1, 1 << 16, p);
    }
}
