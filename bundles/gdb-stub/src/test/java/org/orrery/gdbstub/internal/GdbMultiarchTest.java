package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.machine.testing.FakeHart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real gdb-multiarch against the stub over TCP, with a fake machine that holds the guest image and
 * "runs" straight to the next breakpoint. It proves that gdb accepts the target description, reads and
 * writes registers and memory, sets breakpoints and watchpoints, steps, runs monitor commands and detaches;
 * the guest's behaviour itself is the e2e test's business. Skipped when the tools are missing.
 */
@Timeout(120)
class GdbMultiarchTest {
    @Test void gdbDrivesTheStubThroughTheWholeSession(@TempDir Path dir) throws Exception {
        assumeTrue(Tools.present(Tools.GDB) && Tools.present(Tools.GCC) && Tools.present(Tools.OBJCOPY), "gdb-multiarch or the RISC-V toolchain is missing");
        Path elf = Tools.buildGuest(dir);
        Tools.run(dir, 30, Tools.OBJCOPY, "-O", "binary", elf.toString(), "prog.bin");
        byte[] image = Files.readAllBytes(dir.resolve("prog.bin"));

        FakeMachine machine = new FakeMachine(1);
        FakeHart h = machine.hart(0);
        System.arraycopy(image, 0, h.ram, 0, image.length);
        h.pc = 0x1000;
        h.x[2] = 0x80002070L;
        h.x[1] = 0x8000006eL;                        // cube_plus returns into main
        h.ram[0x20a8] = 0x12;                        // main's saved ra: back into _start
        h.ram[0x20a9] = 0x00;
        h.ram[0x20ab] = (byte) 0x80;
        h.f[10] = Double.doubleToRawLongBits(3.5);
        h.csrs.put(0x300, 0x8000000a00006000L);
        machine.autoRun = true;
        machine.monitorOutput = "VM status: paused (debug)\n";

        GdbServer server = new GdbServer(machine, GdbDevice.parse("tcp::0"));
        String out;
        try {
            out = Tools.gdb(dir, Tools.script(dir, server.localPort()), elf, 90);
        } finally {
            server.close();
        }
        Files.writeString(Path.of("target", "gdb-fake-machine-transcript.txt"), out);
        if (Boolean.getBoolean("gdbstub.debugRemote")) return; // packet logs interleave with the output: look, don't assert
        for (String expected : List.of(
                "0x0000000000001000 in ?? ()",
                "pc             0x1000\t0x1000",
                "Breakpoint 1 at 0x80000014: file prog.c, line 6.",
                "Breakpoint 1, cube_plus (",
                "$2 = 0x80000014",
                "=> 0x80000018 <cube_plus+4>:\tld\ta4,164(a4)",
                "   0x8000001c <cube_plus+8>:\tmul\ta5,a0,a0",
                "Breakpoint 2, halve_and_add (",
                "$4 = {float = 0, double = 3.5}",
                "$5 = 0x8000000a00006000",
                "priv           0x3\tprv:3 [Machine]",
                "Hardware assisted breakpoint 3 at 0x80000042: file prog.c, line 9.",
                "Hardware watchpoint 4: tally",
                "$7 = 1000",
                "0x800020b8 <tally>:\t0x000003e8\t0x00000000",
                "VM status: paused (debug)\r",
                "[Inferior 1 (process 1) detached]"))
            assertTrue(out.contains(expected), "missing '" + expected + "' in:\n" + out);
        assertTrue(h.breakpoints.isEmpty() && h.watchpoints.isEmpty(), "detach removes everything");
        assertTrue(machine.monitorCommands.contains("info status"));
    }
}
