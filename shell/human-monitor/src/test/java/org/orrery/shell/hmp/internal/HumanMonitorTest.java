package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.orrery.machine.RunState;
import org.orrery.qom.QomException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HMP commands through human-monitor-command on a real command layer and machine. */
class HumanMonitorTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private TestPlatform p;

    @AfterEach
    void close() { if (p != null) p.close(); }

    @Test
    void statusStopContAndReset() {
        p = new TestPlatform().withBoard();
        assertEquals("VM status: paused (prelaunch)\n", p.hmp("info status"));
        assertEquals("", p.hmp("cont"));
        assertEquals("VM status: running\n", p.hmp("info status"));
        assertEquals("", p.hmp("stop"));
        assertEquals("VM status: paused\n", p.hmp("info status"));
        assertEquals("", p.hmp("c"));
        assertEquals(RunState.RUNNING, p.machine.runState());
        assertEquals("", p.hmp("system_reset"));
        assertEquals("", p.hmp("system_powerdown"));
        assertEquals("", p.hmp("s"));
        assertEquals(RunState.PAUSED, p.machine.runState());
    }

    @Test
    void unknownAndBadCommandsGetOneClearLine() {
        p = new TestPlatform().withBoard();
        assertEquals("unknown command: 'foo'\n", p.hmp("foo"));
        assertEquals("unknown command: 'info foo'\n", p.hmp("info foo"));
        assertEquals("unexpected end of expression\nTry \"help x\" for more information\n", p.hmp("x"));
        assertTrue(p.hmp("x /4z 0x1000").startsWith("invalid char in format: 'z'"));
        assertEquals("Error: Device 'nope' not found\n", p.hmp("device_del nope"));
        assertTrue(p.hmp("qom-get /machine nope").startsWith("Error: "));
        assertEquals("", p.hmp(""));
        assertEquals(RunState.PRELAUNCH, p.machine.runState());
    }

    @Test
    void helpListsCommandsAndInfo() {
        p = new TestPlatform().withBoard();
        String help = p.hmp("help");
        for (String c : new String[]{"info", "stop", "cont|c", "system_reset", "quit|q", "x /fmt addr", "xp", "device_add", "device_del",
                "object_add", "object_del", "qom-list", "qom-get", "qom-set", "memsave", "pmemsave", "chardev-add", "chardev-remove"})
            assertTrue(help.contains(c), c + " missing from\n" + help);
        assertEquals(help, p.hmp("?"));
        assertTrue(p.hmp("help x").startsWith("x /fmt addr -- virtual memory dump"));
        String info = p.hmp("info");
        for (String c : new String[]{"status", "version", "registers", "cpus", "qtree", "qom-tree", "mtree", "chardev", "block", "network", "roms"})
            assertTrue(info.contains("info " + c), c);
    }

    @Test
    void memoryDumpsInQemuLayout() {
        p = new TestPlatform().withBoard();
        assertEquals("0000000080000000: 0x00000297 0x02828613 0xf1402573 0x0202b583\n0000000080000010: 0x80824595\n",
                p.hmp("x /5x 0x80000000"));
        assertEquals("0000000080000000: 0x0282861300000297 0x0202b583f1402573\n", p.hmp("xp /2xg 0x80000000"));
        assertEquals("0000000080000000: 0x97 0x02 0x00 0x00 0x13\n", p.hmp("x /5xb 0x80000000"));
        assertEquals("0000000080000000:   663     0 34323\n", p.hmp("x/3dh 0x80000000"));
        // size is remembered (h), as QEMU does
        assertEquals("0000000080000000:  01227      0 0103023\n", p.hmp("x /3o 0x80000000"));
        assertEquals("0000000080000000:   663     0\n", p.hmp("x /2u 0x80000000"));
        assertEquals("0000000080000000: '\\x97' '\\x02' '\\x00' '\\x00'\n", p.hmp("x /4c 0x80000000"));
        assertEquals("0000000080000008: 0xf1402573\n", p.hmp("x /1xw $pc+8"));
        assertEquals("0000000090000000: Cannot access memory\n", p.hmp("xp /4x 0x90000000"));
        assertEquals("0000000090000000: Cannot access memory\n", p.hmp("x /4x 0x90000000"));
    }

    @Test
    void disassemblyInQemuLayout() {
        p = new TestPlatform().withBoard();
        String out = p.hmp("x /7i $pc");
        String[] lines = out.split("\n");
        assertEquals(7, lines.length, out);
        assertEquals("0x0000000080000000:  00000297          auipc                   t0,0x0", lines[0]);
        assertEquals("0x0000000080000004:  02828613          addi                    a2,t0,40", lines[1]);
        assertEquals("0x0000000080000008:  f1402573          csrr                    a0,mhartid", lines[2]);
        assertEquals("0x000000008000000c:  0202b583          ld                      a1,32(t0)", lines[3]);
        assertEquals("0x0000000080000010:  4595              li                      a1,5", lines[4]);
        assertEquals("0x0000000080000012:  8082              ret                     ", lines[5]);
        assertEquals("0x0000000080000014:  020000ef          jal                     32                      # 0x80000034", lines[6]);
    }

    @Test
    void registersInQemuLayout() {
        p = new TestPlatform().withBoard();
        String r = p.hmp("info registers");
        assertTrue(r.startsWith("\nCPU#0\n pc       0000000080000000\n mhartid  0000000000000000\n mstatus  0000000a00000000\n"), r);
        assertTrue(r.contains(" mtvec    0000000080000100\n"), r);
        assertTrue(r.contains(" x0/zero  0000000000000000 x1/ra    0000000000000000 x2/sp    0000000080008000 x3/gp    0000000000000000\n"), r);
        assertTrue(r.contains(" f28/ft8  0000000000000000 f29/ft9  0000000000000000 f30/ft10 0000000000000000 f31/ft11 0000000000000000\n"), r);
        assertEquals(r, p.hmp("info registers -a"));
        String cpus = p.hmp("info cpus");
        var m = java.util.regex.Pattern.compile("\\* CPU #0: thread_id=(\\d+)\n").matcher(cpus);
        assertTrue(m.matches(), cpus);
        // the hart's own host thread, as QEMU names its vCPU thread
        assertTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/task", m.group(1))), cpus);
    }

    @Test
    void noCpuIsOneLine() {
        p = new TestPlatform().withoutBoard();
        assertEquals("No CPU available\n", p.hmp("info registers"));
        assertEquals("No CPU available\n", p.hmp("x /4i 0x1000"));
        assertEquals("VM status: paused (preconfig)\n", p.hmp("info status"));
    }

    @Test
    void infoVersionTreesAndChardevs() {
        p = new TestPlatform().withBoard();
        assertTrue(p.hmp("info version").startsWith("7.2.0 (Orrery"), p.hmp("info version"));
        String qom = p.hmp("info qom-tree");
        assertTrue(qom.startsWith("/machine (test-machine)\n  /peripheral (container)\n"), qom);
        assertTrue(p.hmp("info qtree").startsWith("bus: main-system-bus\n"));
        String mtree = p.hmp("info mtree");
        assertTrue(mtree.contains("  0000000000001000-00000000000010ff (prio 0, rom): test.rom\n"), mtree);
        assertTrue(mtree.contains("  0000000080000000-000000008000ffff (prio 0, ram): test.ram\n"), mtree);
        p.chardev("serial9");
        assertEquals("serial9: filename=test\n", p.hmp("info chardev"));
        assertEquals("", p.hmp("info block"));
        assertEquals("", p.hmp("info network"));
        assertEquals("", p.hmp("info roms"));
    }

    @Test
    void devicesObjectsAndProperties() {
        p = new TestPlatform().withBoard();
        assertEquals("", p.hmp("device_add test-device,id=d0,level=0x10"));
        assertEquals("16\n", p.hmp("qom-get /machine/peripheral/d0 level"));
        assertEquals("", p.hmp("qom-set d0 level 7"));
        assertEquals("7\n", p.hmp("qom-get d0 level"));
        assertEquals("", p.hmp("qom-set -j d0 level 9"));
        assertEquals("9\n", p.hmp("qom-get d0 level"));
        assertTrue(p.hmp("qom-list /machine/peripheral/d0").contains("level (uint32)\n"));
        assertTrue(p.hmp("qom-list /machine").contains("peripheral (child<container>)\n"));
        assertEquals("", p.hmp("device_del d0"));
        assertEquals("Error: Device 'd0' not found\n", p.hmp("device_del d0"));
        assertEquals("", p.hmp("object_add test-object,id=o1,level=3"));
        assertEquals("3\n", p.hmp("qom-get /objects/o1 level"));
        assertEquals("", p.hmp("object_del o1"));
        assertTrue(p.hmp("device_add nonsense").startsWith("Error: 'nonsense' is not a valid device model name"));
    }

    @Test
    void memsaveAndPmemsave() throws Exception {
        p = new TestPlatform().withBoard();
        Path dir = Files.createTempDirectory("hmp");
        Path v = dir.resolve("v.bin");
        Path ph = dir.resolve("p.bin");
        assertEquals("", p.hmp("memsave 0x80000000 8 " + v));
        assertEquals("", p.hmp("pmemsave 0x80000000 8 \"" + ph + "\""));
        byte[] want = java.util.Arrays.copyOf(TestPlatform.PROGRAM, 8);
        assertArrayEquals(want, Files.readAllBytes(v));
        assertArrayEquals(want, Files.readAllBytes(ph));
    }

    @Test
    void chardevCommandsGoThroughTheCommandLayer() {
        p = new TestPlatform().withBoard();
        // no chardev bundle in this test: the command layer's answer is passed on in one line
        assertEquals("Error: The command x-chardev-add-opts has not been found\n", p.hmp("chardev-add null,id=c0"));
        assertEquals("Error: The command chardev-remove has not been found\n", p.hmp("chardev-remove c0"));
    }

    @Test
    void monitorOnAChardev() {
        p = new TestPlatform().withBoard();
        TestPlatform.TestChardev c = p.chardev("compat_monitor0");
        ObjectNode a = F.objectNode().put("id", "hmp0").put("chardev", "compat_monitor0");
        p.qmp("human-monitor-add", a);
        assertEquals(HumanMonitorCommands.BANNER + "\r\n(qemu) ", c.take());
        type(c, "info statt\u007fus\r");
        String out = c.take();
        assertEquals("info statt\b \bus\r\nVM status: paused (prelaunch)\r\n(qemu) ", out);
        type(c, "garbage\u0015x /1xw 0x80000000\n");
        out = c.take();
        assertTrue(out.endsWith("x /1xw 0x80000000\r\n0000000080000000: 0x00000297\r\n(qemu) "), out);
        // arrow keys are ignored, CR LF is one line end
        type(c, "\u001b[Ainfo cpus\r\n");
        assertTrue(c.take().contains("* CPU #0"));
        assertThrows(QomException.class, () -> p.qmp("human-monitor-add", a));
        p.qmp("human-monitor-del", F.objectNode().put("id", "hmp0"));
        assertNull(c.frontEnd);
        assertThrows(QomException.class, () -> p.qmp("human-monitor-add", F.objectNode().put("id", "x").put("chardev", "nope")));
    }

    @Test
    void monitorHoldsOutputUnderBackPressure() {
        p = new TestPlatform().withBoard();
        TestPlatform.TestChardev c = p.chardev("m");
        c.capacity = 4;
        p.qmp("human-monitor-add", F.objectNode().put("id", "hmp0").put("chardev", "m"));
        assertEquals(HumanMonitorCommands.BANNER.substring(0, 4), c.take());
        c.capacity = Integer.MAX_VALUE;
        p.machine.call(() -> { c.frontEnd.outputReady(); return null; });
        assertEquals(HumanMonitorCommands.BANNER.substring(4) + "\r\n(qemu) ", c.take());
    }

    @Test
    void greetsWhenThePeerConnects() {
        p = new TestPlatform().withBoard();
        TestPlatform.TestChardev c = p.chardev("sock");
        c.connected = false;
        p.qmp("human-monitor-add", F.objectNode().put("id", "hmp0").put("chardev", "sock"));
        assertEquals("", c.take());
        p.machine.call(() -> { c.frontEnd.event(org.orrery.machine.backend.CharFrontEnd.CharEvent.OPENED); return null; });
        assertTrue(c.take().endsWith("(qemu) "));
    }

    private void type(TestPlatform.TestChardev c, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.machine.call(() -> { c.frontEnd.receive(b, 0, b.length); return null; });
    }
}
