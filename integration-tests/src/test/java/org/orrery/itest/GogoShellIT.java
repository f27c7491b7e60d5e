package org.orrery.itest;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;

import javax.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * The Gogo commands inside the assembled container, through Gogo's own command processor: the
 * qmp: and orrery: commands, pipes, variables and script files, on a virt machine built in the test.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GogoShellIT {
    @Inject private CommandProcessor processor;
    @Inject private MachineManager machines;

    private Machine machine;
    private CommandSession session;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @Configuration
    public Option[] configuration() throws IOException {
        return PaxDistribution.options();
    }

    @Before
    public void machineAndSession() {
        machine = machines.create("gogo-it");
        machine.call(() -> {
            machine.createBoard("virt");
            machine.build();
            return null;
        });
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), ps, ps);
    }

    @After
    public void close() {
        session.close();
        machines.destroy(machine);
    }

    private String run(String line) throws Exception {
        Object r = session.execute(line);
        return r == null ? "" : String.valueOf(r);
    }

    @Test
    public void everyCommandIsAQmpFunctionAndTheOrreryCommandsWork() throws Exception {
        assertTrue(run("qmp:query-version").contains("\"major\" : 7"));
        assertEquals("virt-machine", run("qmp:qom-get path=/machine property=type").strip().replace("\"", ""));
        String tree = run("orrery:tree /machine");
        assertTrue(tree, tree.contains("/serial@10000000 (ns16550a)"));
        assertTrue(run("orrery:types virtio").contains("virtio-blk-device"));
        assertTrue(run("orrery:status").contains("prelaunch"));
        assertTrue(run("orrery:bundles").contains("org.orrery.serial-uart"));
        run("orrery:add virtio-rng-device id=rng9");
        assertTrue(run("orrery:tree /machine/peripheral").contains("/rng9 (virtio-rng-device)"));
        run("orrery:del rng9");
        assertTrue(!run("orrery:tree /machine/peripheral").contains("rng9"));
        String regs = run("orrery:regs");
        assertTrue(regs, regs.contains("pc"));
        assertTrue(run("orrery:xp 0x1000 4").toLowerCase().contains("1000"));
        String help = run("qmp:qom-get --help");
        assertTrue(help, help.contains("Reads a property of an object"));
    }

    @Test
    public void pipesVariablesAndScriptFilesWork() throws Exception {
        run("t = (orrery:get /machine type)");
        assertEquals("virt-machine", String.valueOf(session.get("t")).strip().replace("\"", ""));
        out.reset();
        run("orrery:status | grep prelaunch");
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).contains("prelaunch"));
        Path script = Files.createTempFile("orrery-it", ".gosh");
        Files.writeString(script, "orrery:add virtio-rng-device id=fromscript\nn = (orrery:get fromscript type)\necho made $n\n");
        out.reset();
        run("sh " + script);   // gosh runs script files in a child session of its own
        assertTrue(out.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8).contains("made virtio-rng-device"));
        assertTrue(run("orrery:tree /machine/peripheral").contains("/fromscript (virtio-rng-device)"));
    }

    @Test
    public void aBadCommandIsOneLineAndTheMachineCarriesOn() throws Exception {
        try {
            run("qmp:qom-get path=/nowhere property=type");
            fail("an error was expected");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not found"));
        }
        assertTrue(run("orrery:status").contains("prelaunch"));
    }
}
