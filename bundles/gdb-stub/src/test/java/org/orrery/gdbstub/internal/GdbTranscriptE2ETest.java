package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One gdb-multiarch session (session.gdb) against QEMU 7.2 and against Orrery, on the same bare-metal guest
 * (prog.c, built now): the two transcripts must be identical but for the port. Tagged e2e: it needs a
 * booting {@code ./orrery -machine virt}; run with
 * {@code mvn test -Dgdbstub.excludedGroups=none -Dgroups=e2e}. The transcripts are left in target/.
 */
@Tag("e2e")
@Timeout(900)
class GdbTranscriptE2ETest {
    private static Path dir;
    private static Path elf;

    @BeforeAll static void buildGuest() throws Exception {
        assumeTrue(Tools.present(Tools.GDB) && Tools.present(Tools.GCC), "gdb-multiarch or riscv64-unknown-elf-gcc missing");
        dir = Files.createTempDirectory("gdbstub-e2e");
        elf = Tools.buildGuest(dir);
    }

    /** Runs the session against an emulator started with {@code command} (PORT replaced) and returns the transcript. */
    private static String session(String name, List<String> command) throws Exception {
        return session(name, "session.gdb", command);
    }

    private static String session(String name, String script, List<String> command) throws Exception {
        int port = Tools.freePort();
        List<String> cmd = command.stream().map(s -> s.replace("PORT", Integer.toString(port))).toList();
        Process emulator = Tools.spawn(dir, name + ".log", cmd);
        String out;
        try {
            out = Tools.gdbAgainst(dir, Tools.script(dir, script, port), elf, 600, emulator, dir.resolve(name + ".log"));
        } finally {
            Tools.stop(emulator);
        }
        out = out.replace(Integer.toString(port), "PORT");
        Files.writeString(Path.of("target", "gdb-transcript-" + name + ".txt"), out);
        return out;
    }

    private static List<String> qemu() {
        return List.of(Tools.QEMU, "-machine", "virt", "-bios", "none", "-kernel", elf.toString(), "-nographic",
                "-S", "-gdb", "tcp::PORT");
    }

    private static List<String> orrery(String... extra) {
        Path launcher = Path.of(System.getProperty("orrery.launcher", "../../orrery")).toAbsolutePath().normalize();
        List<String> cmd = new java.util.ArrayList<>(List.of(launcher.toString(), "-machine", "virt", "-bios", "none", "-kernel",
                elf.toString(), "-nographic", "-S", "-gdb", "tcp::PORT"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** The reference half: QEMU's transcript shows every step of the session doing what it should. */
    @Test void qemuTranscriptCoversTheWholeSession() throws Exception {
        assumeTrue(Tools.present(Tools.QEMU), "qemu-system-riscv64 missing");
        String out = session("qemu", qemu());
        for (String expected : List.of(
                "0x0000000000001000 in ?? ()",
                "Breakpoint 1, cube_plus (n=n@entry=0) at prog.c:6",
                "Breakpoint 1, cube_plus (n=n@entry=1) at prog.c:6",
                "$1 = 1",
                "$2 = 0x80000014",
                "$3 = 0x80000018",
                "=> 0x80000018 <cube_plus+4>:\tld\ta4,164(a4)",
                "Breakpoint 2, halve_and_add (x=x@entry=3.5) at prog.c:7",
                "$4 = {float = 0, double = 3.5}",
                "$5 = 0x8000000a00006000",
                "priv           0x3\tprv:3 [Machine]",
                "Hardware watchpoint 4: tally",
                "Old value = 4\nNew value = 5",
                "$6 = 5",
                "$7 = 1000",
                "0x800020b8 <tally>:\t0x000003e8\t0x00000000\t0x00000000\t0x00000000",
                "VM status: paused (debug)\r\n",
                "[Inferior 1 (process 1) detached]"))
            assertTrue(out.contains(expected), "missing '" + expected + "' in:\n" + out);
    }

    /** With every block translated the first time it runs, breakpoints, watchpoints and stepping behave the same. */
    @Test void orreryTranscriptWithEverythingTranslatedEqualsQemus() throws Exception {
        assumeTrue(Tools.present(Tools.QEMU), "qemu-system-riscv64 missing");
        String reference = session("qemu", qemu());
        String ours = session("orrery-translated", orrery("-accel", "tcg,x-warmup=0,x-hot-threshold=1"));
        assertEquals(reference, ours);
    }

    /**
     * Four harts are four threads: gdb lists them, switches between them, and with scheduler-locking on
     * steps one while the others stay at the reset vector (smp-session.gdb); the host thread ids that the
     * monitor's info cpus prints are the only difference allowed.
     */
    @Test void fourHartsAreFourThreadsAsInQemu() throws Exception {
        assumeTrue(Tools.present(Tools.QEMU), "qemu-system-riscv64 missing");
        List<String> smp = List.of("-smp", "4");
        List<String> qemu = new java.util.ArrayList<>(qemu());
        qemu.addAll(smp);
        String reference = session("qemu-smp", "smp-session.gdb", qemu).replaceAll("thread_id=\\d+", "thread_id=N");
        String ours = session("orrery-smp", "smp-session.gdb", orrery("-smp", "4")).replaceAll("thread_id=\\d+", "thread_id=N");
        assertTrue(reference.contains("4    Thread 1.4 (CPU#3 [running])") && reference.contains("a0             0x2\t2"), reference);
        assertEquals(reference, ours);
    }

    /** The point of it all: gdb cannot tell Orrery from QEMU. */
    @Test void orreryTranscriptEqualsQemus() throws Exception {
        assumeTrue(Tools.present(Tools.QEMU), "qemu-system-riscv64 missing");
        String reference = session("qemu", qemu());
        String ours = session("orrery", orrery());
        assertEquals(reference, ours);
    }
}
