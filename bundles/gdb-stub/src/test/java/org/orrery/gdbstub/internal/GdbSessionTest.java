package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.testing.FakeHart;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command of the stub against a fake machine, packet in, replies out. */
class GdbSessionTest {
    private final FakeMachine machine = new FakeMachine(2);
    private final List<String> sent = new ArrayList<>();
    private boolean acking = true;
    private final GdbSession session = new GdbSession(machine, new GdbSession.Link() {
        @Override public void send(byte[] payload) { sent.add(new String(payload, StandardCharsets.ISO_8859_1)); }
        @Override public void stopAcking() { acking = false; }
    });

    @BeforeEach void connect() {
        machine.setDebugListener(session::stopped);
        session.attach();
        ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    }

    /** Sends one packet and returns the one reply. */
    private String ask(String packet) {
        sent.clear();
        session.packet(packet.getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(1, sent.size(), "replies to " + packet + ": " + sent);
        return sent.get(0);
    }

    private FakeHart h0() { return machine.hart(0); }

    @Test void qSupportedAnnouncesWhatGdbNeeds() {
        String r = ask("qSupported:multiprocess+;swbreak+");
        assertTrue(r.startsWith("PacketSize=4000;"), r);
        for (String f : List.of("qXfer:features:read+", "swbreak+", "hwbreak+", "vContSupported+", "QStartNoAckMode+", "multiprocess+"))
            assertTrue(r.contains(f), r);
        assertFalse(ask("qSupported").contains("multiprocess+"));
    }

    @Test void noAckModeIsAcceptedThenSwitchedOff() {
        assertEquals("OK", ask("QStartNoAckMode"));
        assertFalse(acking);
    }

    @Test void attachingStopsARunningGuestAsQemuDoes() {
        FakeMachine m = new FakeMachine(1);
        m.state = RunState.RUNNING;
        new GdbSession(m, new GdbSession.Link() {
            @Override public void send(byte[] p) { }
            @Override public void stopAcking() { }
        }).attach();
        assertEquals(RunState.PAUSED, m.state);
        assertEquals(RunState.PRELAUNCH, machine.state, "a guest not yet started stays so");
    }

    @Test void targetDescriptionComesInChunksAndParses() throws Exception {
        StringBuilder doc = new StringBuilder();
        int off = 0;
        while (true) {
            String r = ask("qXfer:features:read:target.xml:" + Integer.toHexString(off) + ",ffb");
            byte[] raw = r.substring(1).getBytes(StandardCharsets.ISO_8859_1);
            String chunk = new String(Rsp.unescape(raw, 0, raw.length), StandardCharsets.ISO_8859_1);
            doc.append(chunk);
            off += chunk.length();
            if (r.charAt(0) == 'l') break;
            assertEquals('m', r.charAt(0));
        }
        String xml = doc.toString();
        javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        var parsed = f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertEquals("riscv:rv64", parsed.getElementsByTagName("architecture").item(0).getTextContent());
        for (String feature : List.of("org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu", "org.gnu.gdb.riscv.virtual", "org.gnu.gdb.riscv.csr"))
            assertTrue(xml.contains("<feature name=\"" + feature + "\">"), feature);
        assertTrue(xml.contains("<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>"));
        assertTrue(xml.contains("<reg name=\"fa0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"43\"/>"));
        assertTrue(xml.contains("<reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"69\"/>"));
        assertTrue(xml.contains("<reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"65\"/>"));
        assertTrue(xml.contains("<reg name=\"mstatus\" bitsize=\"64\" type=\"int\" regnum=\"834\"/>"));
        assertFalse(xml.contains("\"satp\""), "CSRs the hart lacks are left out");
        assertEquals("l", ask("qXfer:features:read:target.xml:" + Integer.toHexString(off) + ",ffb"));
        assertEquals("E00", ask("qXfer:features:read:other.xml:0,ffb"));
        assertEquals("", ask("qXfer:memory-map:read::0,ffb"));
    }

    @Test void generalRegistersReadAndWrite() {
        h0().x[10] = 0x1234;
        h0().pc = 0x80000014L;
        String g = ask("g");
        assertEquals(33 * 16, g.length());
        assertEquals("3412000000000000", g.substring(10 * 16, 11 * 16));
        assertEquals("1400008000000000", g.substring(32 * 16));
        String changed = "ffffffffffffffff" + g.substring(16, 11 * 16 - 16) + "0500000000000000" + g.substring(11 * 16, 32 * 16)
                + "1800008000000000";
        assertEquals("OK", ask("G" + changed));
        assertEquals(0, h0().gpr(0), "x0 stays zero");
        assertEquals(5, h0().x[10]);
        assertEquals(0x80000018L, h0().pc);
        assertEquals("E22", ask("Gxyz"));
    }

    @Test void singleRegistersCoverGprPcFprPrivAndCsrs() {
        h0().x[2] = 0x80002070L;
        h0().f[10] = Double.doubleToRawLongBits(3.5);
        assertEquals("7020008000000000", ask("p2"));
        assertEquals("0000000000000c40", ask("p2b"));             // fa0
        assertEquals("0300000000000000", ask("p41"));             // priv
        assertEquals("000000000a000000", ask("p342"));            // mstatus = 66 + 0x300
        assertEquals("00000000", ask("p43"));                     // fflags: 32 bits
        assertEquals("E14", ask("p" + Integer.toHexString(66 + 0x180))); // satp: not on this hart
        assertEquals("E14", ask("p2000"));                        // beyond every register
        assertEquals("OK", ask("P2b=000000000000f03f"));
        assertEquals(1.0, Double.longBitsToDouble(h0().f[10]));
        assertEquals("OK", ask("P342=0060000000000000"));
        assertEquals(0x6000L, h0().csrs.get(0x300));
        assertEquals("OK", ask("P20=0000008000000000"));
        assertEquals(0x80000000L, h0().pc);
        assertEquals("E14", ask("P41=0100000000000000"), "the privilege level cannot be written through HartDebug");
        assertEquals("E22", ask("Pzz=00"));
        assertEquals("E22", ask("P5"));
    }

    @Test void memoryGoesThroughTheHartsViewAndUnmappedIsE14() {
        h0().ram[0] = (byte) 0x97;
        h0().ram[1] = 0x02;
        assertEquals("97020000", ask("m80000000,4"));
        assertEquals("E14", ask("mffc,4"));
        assertEquals("E14", ask("m8000fffe,4"), "a read that runs off the end fails whole, as on QEMU");
        assertEquals("E22", ask("m80000000,ffffffffffff"), "absurd length");
        assertEquals("E22", ask("m80000000"));
        assertEquals("E22", ask("mzz,4"));
        assertEquals("OK", ask("M80000010,4:e8030000"));
        assertEquals("e8030000", ask("m80000010,4"));
        assertEquals("E22", ask("M80000010,4:e803"), "length and data disagree");
        assertEquals("E14", ask("M10,1:00"));
        byte[] x = Rsp.frame(new byte[0], false);
        assertTrue(x.length > 0);
        String bin = "X80000020,4:" + new String(new byte[]{0x7d, 0x03, 0x24, 0x00, (byte) 0xff}, StandardCharsets.ISO_8859_1);
        assertEquals("OK", ask(bin));
        assertArrayEquals(new byte[]{0x23, 0x24, 0x00, (byte) 0xff}, java.util.Arrays.copyOfRange(h0().ram, 0x20, 0x24));
        assertEquals("OK", ask("X80000000,0:"), "gdb probes X with an empty write");
    }

    @Test void haltReasonAndThreads() {
        assertEquals("T05thread:p01.01;", ask("?"));
        assertEquals("mp01.01,p01.02", ask("qfThreadInfo"));
        assertEquals("l", ask("qsThreadInfo"));
        assertEquals("QCp01.01", ask("qC"));
        assertEquals("OK", ask("Hgp1.2"));
        assertEquals("QCp01.02", ask("qC"));
        assertEquals("OK", ask("Hc-1"));
        assertEquals("OK", ask("Hgp0.0"));
        assertEquals("E22", ask("Hg5"));
        assertEquals("OK", ask("Tp1.2"));
        assertEquals("E22", ask("T9"));
        assertEquals("1", ask("qAttached:1"));
        assertEquals("", ask("qOffsets"));
        assertEquals("", ask("vMustReplyEmpty"));
        assertEquals("", ask("qTStatus"));
        assertEquals(Rsp.hexText("CPU#1 [running]"), ask("qThreadExtraInfo,p1.2"));
        assertEquals("vCont;c;C;s;S", ask("vCont?"));
        assertEquals("", ask("!"));
    }

    @Test void registersFollowTheSelectedThread() {
        machine.hart(1).x[10] = 7;
        ask("Hgp1.2");
        assertEquals("0700000000000000", ask("pa"));
    }

    @Test void softwareBreakpointStopsWithSwbreakAndTheThread() {
        assertEquals("OK", ask("Z0,80000014,4"));
        assertTrue(h0().breakpoints.contains(0x80000014L));
        assertTrue(machine.hart(1).breakpoints.contains(0x80000014L), "breakpoints apply to every hart");
        sent.clear();
        session.packet("vCont;c:p1.-1".getBytes());
        assertTrue(sent.isEmpty(), "continue answers only when the guest stops");
        assertEquals(RunState.RUNNING, machine.state);
        assertTrue(session.waitingForStop());
        h0().pc = 0x80000014L;
        machine.hit(StopReason.BREAKPOINT);
        assertEquals(List.of("T05thread:p01.01;swbreak:;"), sent);
        assertFalse(session.waitingForStop());
        assertEquals("OK", ask("z0,80000014,4"));
        assertTrue(h0().breakpoints.isEmpty());
    }

    @Test void theHartTheMachineNamesIsTheOneReportedEvenWhenAnotherSitsOnABreakpointToo() {
        assertEquals("OK", ask("Z0,80000014,4"));
        session.packet("vCont;c:p1.-1".getBytes());
        sent.clear();
        h0().pc = 0x80000014L;               // hart 0 waits on the breakpoint's address (not yet executed)
        machine.hart(1).pc = 0x80000014L;    // hart 1 is the one that hit it
        machine.hit(1, StopReason.BREAKPOINT);
        assertEquals(List.of("T05thread:p01.02;swbreak:;"), sent);
        assertEquals("QCp01.02", ask("qC"), "the hart that stopped becomes the current thread");
    }

    @Test void hardwareBreakpointsSayHwbreakAndShareAddressesWithSoftwareOnes() {
        assertEquals("OK", ask("Z1,80000042,2"));
        assertEquals("OK", ask("Z0,80000042,2"));
        assertEquals("OK", ask("z0,80000042,2"));
        assertTrue(h0().breakpoints.contains(0x80000042L), "the hardware one is still there");
        session.packet("c".getBytes());
        sent.clear();
        h0().pc = 0x80000042L;
        machine.hit(StopReason.BREAKPOINT);
        assertEquals(List.of("T05thread:p01.01;hwbreak:;"), sent);
        assertEquals("OK", ask("z1,80000042,2"));
        assertTrue(h0().breakpoints.isEmpty());
    }

    @Test void watchpointsReportKindAndWatchedAddress() {
        assertEquals("OK", ask("Z2,800020b8,8"));
        assertEquals(List.of(0x800020b8L, 8L, 2L), List.of(h0().watchpoints.get(0)[0], h0().watchpoints.get(0)[1], h0().watchpoints.get(0)[2]));
        session.packet("vCont;c:p1.-1".getBytes());
        sent.clear();
        h0().lastWatch = 0x800020bcL;
        machine.hit(StopReason.WATCHPOINT);
        assertEquals(List.of("T05thread:p01.01;watch:00000000800020b8;"), sent);
        assertEquals("OK", ask("z2,800020b8,8"));
        assertTrue(h0().watchpoints.isEmpty());
        assertEquals("OK", ask("Z3,80000100,4"));
        session.packet("c".getBytes());
        sent.clear();
        h0().lastWatch = 0x80000100L;
        machine.hit(StopReason.WATCHPOINT);
        assertEquals(List.of("T05thread:p01.01;rwatch:0000000080000100;"), sent);
        assertEquals("OK", ask("Z4,80000200,1"));
        assertEquals("E22", ask("Z2,80000200,0"));
        assertEquals("", ask("Z5,80000200,1"));
        assertEquals("E22", ask("Z2,80000200"));
    }

    @Test void aVContNamingSomeThreadsRunsOnlyThoseHarts() {
        session.packet("vCont;c:p1.2".getBytes());   // gdb's software single step with scheduler-locking on
        assertEquals(java.util.Set.of(1), machine.running);
        machine.hit(1, StopReason.BREAKPOINT);
        session.packet("vCont;s:p1.1;c:p1.-1".getBytes());
        assertEquals(null, machine.running, "a continue for all threads lets every hart run");
        assertTrue(h0().singleStep);
        machine.hit(0, StopReason.STEP);
        session.packet("c".getBytes());
        assertEquals(null, machine.running);
    }

    @Test void steppingSetsAndClearsSingleStepOnTheRightHart() {
        session.packet("vCont;s:p1.2;c:p1.-1".getBytes());
        assertTrue(machine.hart(1).singleStep);
        assertFalse(h0().singleStep);
        sent.clear();
        machine.hit(StopReason.STEP);
        assertFalse(machine.hart(1).singleStep);
        assertEquals(List.of("T05thread:p01.02;"), sent);
        assertEquals("QCp01.02", ask("qC"), "the stopped hart becomes the current thread");
        session.packet("s80000100".getBytes());
        assertEquals(0x80000100L, machine.hart(1).pc);
        assertTrue(machine.hart(1).singleStep);
        assertEquals("E22", ask("vCont;x"));
        assertEquals("E22", ask("vCont;"));
    }

    @Test void ctrlCPausesTheGuestAndReportsSigint() {
        session.packet("c".getBytes());
        sent.clear();
        session.interrupt();
        assertEquals(List.of("T02thread:p01.01;"), sent);
        assertEquals(RunState.PAUSED, machine.state);
        sent.clear();
        session.interrupt();
        assertTrue(sent.isEmpty(), "Ctrl-C while stopped does nothing");
    }

    @Test void aStopFromElsewhereIsReportedWhileGdbWaits() {
        session.packet("c".getBytes());
        sent.clear();
        session.poll();
        assertTrue(sent.isEmpty());
        machine.state = RunState.PAUSED; // QMP stop
        session.poll();
        assertEquals(List.of("T02thread:p01.01;"), sent);
        session.packet("c".getBytes());
        sent.clear();
        machine.state = RunState.SHUTDOWN;
        session.poll();
        assertEquals(List.of("T03thread:p01.01;"), sent);
        assertEquals("T03thread:p01.01;", ask("c"), "a machine that needs a reset does not run");
    }

    @Test void stopsNobodyWaitsForAreNotSent() {
        sent.clear();
        machine.hit(StopReason.BREAKPOINT);
        assertTrue(sent.isEmpty());
    }

    @Test void detachRemovesEverythingAndLetsTheGuestRun() {
        ask("Z0,80000014,4");
        ask("Z2,800020b8,8");
        assertEquals("OK", ask("D;1"));
        assertTrue(h0().breakpoints.isEmpty());
        assertTrue(h0().watchpoints.isEmpty());
        assertEquals(RunState.RUNNING, machine.state);
        assertTrue(session.detached());
    }

    @Test void questionMarkClearsWhatAnEarlierClientLeft() {
        ask("Z0,80000014,4");
        ask("?");
        assertTrue(h0().breakpoints.isEmpty());
    }

    @Test void closingKeepsTheRunStateButRemovesBreakpoints() {
        ask("Z0,80000014,4");
        session.packet("c".getBytes());
        session.close();
        assertTrue(h0().breakpoints.isEmpty());
        assertEquals(RunState.RUNNING, machine.state);
    }

    @Test void killEndsTheEmulatorAsQemuDoes() {
        sent.clear();
        session.packet("k".getBytes());
        assertTrue(sent.isEmpty());
        assertEquals(0, machine.quitStatus);
        assertEquals("OK", ask("vKill;1"));
    }

    @Test void monitorCommandsPrintThroughConsoleOutputPackets() {
        sent.clear();
        session.packet(("qRcmd," + Rsp.hexText("info status")).getBytes());
        assertEquals(List.of("O" + Rsp.hexText("VM status: paused (debug)\r\n"), "OK"), sent);
        assertEquals(List.of("info status"), machine.monitorCommands);
        machine.monitorOutput = "";
        assertEquals("OK", ask("qRcmd," + Rsp.hexText("stop")));
        assertEquals("E22", ask("qRcmd,zz"));
    }

    @Test void malformedPacketsNeverEscape() {
        for (String bad : List.of("m", "M1", "M1,2", "Z", "z0", "p", "P=", "H", "Hx", "qXfer:features:read:target.xml:zz",
                "qXfer:features:read:target.xml:0", "X1,1", "C", "Sxx", "c12345678901234567"))
            assertTrue(ask(bad).matches("E\\d\\d|"), bad + " -> " + sent);
        assertEquals("", ask(""));
        assertEquals("", ask("\u0000\u00ff"));
    }
}
