package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.StopReason;
import org.orrery.qom.QomException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stub over real sockets: framing, acknowledgements, Ctrl-C, clients that come and go. */
@Timeout(20)
class GdbServerTest {
    private final FakeMachine machine = new FakeMachine(1);
    private GdbServer server;

    @AfterEach void close() {
        if (server != null) server.close();
    }

    private Client start() throws IOException {
        server = new GdbServer(machine, GdbDevice.parse("tcp::0"));
        return connect();
    }

    private Client connect() throws IOException {
        return new Client(SocketChannel.open(new java.net.InetSocketAddress("127.0.0.1", server.localPort())));
    }

    /** A minimal gdb: sends raw bytes, reads what the stub sends. */
    static final class Client implements AutoCloseable {
        final SocketChannel ch;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Client(SocketChannel ch) { this.ch = ch; }

        void raw(String s) throws IOException { ch.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1))); }

        void packet(String payload) throws IOException { ch.write(ByteBuffer.wrap(Rsp.frame(payload, false))); }

        /** Reads until {@code n} bytes are there (or the stub closes: then returns what came). */
        String read(int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1);
            while (pending.size() < n) {
                b.clear();
                if (ch.read(b) < 0) break;
                pending.write(b.get(0));
            }
            String s = pending.toString(StandardCharsets.ISO_8859_1);
            pending.reset();
            return s;
        }

        /** Reads one framed packet (skipping nothing) and returns its decoded payload. */
        String readPacket() throws IOException {
            StringBuilder sb = new StringBuilder();
            String c;
            while (!(c = read(1)).equals("$")) if (c.isEmpty()) throw new IOException("closed"); else throw new IOException("unexpected " + c);
            while (!(c = read(1)).equals("#")) sb.append(c);
            String sum = read(2);
            byte[] body = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
            assertEquals(String.format("%02x", Rsp.checksum(body)), sum, "checksum of " + sb);
            return new String(Rsp.runLengthDecode(body), StandardCharsets.ISO_8859_1);
        }

        String ask(String payload) throws IOException {
            packet(payload);
            assertEquals("+", read(1), "ack of " + payload);
            String r = readPacket();
            raw("+");
            return r;
        }

        @Override public void close() throws IOException { ch.close(); }
    }

    @Test void ackedPacketsAndReplies() throws Exception {
        try (Client c = start()) {
            assertEquals("T05thread:01;", c.ask("?"));
            assertTrue(c.ask("g").startsWith("0000000000000000"));
            assertTrue(server.connected());
        }
    }

    @Test void badChecksumIsNackedAndTheResendAnswered() throws Exception {
        try (Client c = start()) {
            c.raw("$?#00");
            assertEquals("-", c.read(1));
            assertEquals("T05thread:01;", c.ask("?"));
        }
    }

    @Test void aNackedReplyIsSentAgain() throws Exception {
        try (Client c = start()) {
            c.packet("qC");
            assertEquals("+", c.read(1));
            assertEquals("QC01", c.readPacket());
            c.raw("-");
            assertEquals("QC01", c.readPacket());
            c.raw("+");
            assertEquals("OK", c.ask("Hg0"));
        }
    }

    @Test void noAckModeDropsAcknowledgements() throws Exception {
        try (Client c = start()) {
            assertEquals("OK", c.ask("QStartNoAckMode"));
            c.packet("qC");
            assertEquals("QC01", c.readPacket());
        }
    }

    @Test void absurdPacketsAreRefusedAndTheStreamGoesOn() throws Exception {
        try (Client c = start()) {
            assertEquals("E22", c.ask("M80000000,10000:" + "00".repeat(0x10000)));
            assertEquals("E22", c.ask("m80000000,7fffffff"));
            assertEquals("QC01", c.ask("qC"));
        }
    }

    @Test void ctrlCInterruptsARunningGuest() throws Exception {
        try (Client c = start()) {
            c.packet("vCont;c:-1");
            assertEquals("+", c.read(1));
            waitFor(() -> machine.state == RunState.RUNNING);
            c.raw("\u0003");
            assertEquals("T02thread:01;", c.readPacket());
            c.raw("+");
            assertEquals(RunState.PAUSED, machine.state);
        }
    }

    @Test void aBreakpointHitReachesTheWaitingClient() throws Exception {
        try (Client c = start()) {
            c.ask("qSupported:swbreak+");
            assertEquals("OK", c.ask("Z0,80000014,2"));
            c.packet("c");
            assertEquals("+", c.read(1));
            waitFor(() -> machine.state == RunState.RUNNING);
            machine.hart(0).pc = 0x80000014L;
            machine.hit(StopReason.BREAKPOINT);
            assertEquals("T05thread:01;swbreak:;", c.readPacket());
            c.raw("+");
            assertEquals(RunState.DEBUG, machine.state);
        }
    }

    @Test void aClientVanishingMidPacketLeavesTheGuestAsItWasAndANewOneAttaches() throws Exception {
        Client c = start();
        assertEquals("OK", c.ask("Z0,80000014,2"));
        c.packet("c");
        assertEquals("+", c.read(1));
        waitFor(() -> machine.state == RunState.RUNNING);
        c.raw("$m8000");
        c.close();
        waitFor(() -> !server.connected());
        waitFor(() -> machine.hart(0).breakpoints.isEmpty());
        assertEquals(RunState.RUNNING, machine.state, "the guest runs on");
        try (Client d = connect()) {
            assertEquals("T05thread:01;", d.ask("?"));
            assertEquals(RunState.PAUSED, machine.state, "a new gdb stops it, as on QEMU");
        }
    }

    @Test void onlyOneClientAtATime() throws Exception {
        try (Client c = start()) {
            c.ask("?");
            try (Client d = connect()) {
                assertEquals("", d.read(1), "the second client is turned away");
            }
            assertEquals("QC01", c.ask("qC"));
        }
    }

    @Test void detachLetsTheGuestRunAndTheNextClientIn() throws Exception {
        try (Client c = start()) {
            c.ask("?");
            assertEquals("OK", c.ask("D"));
            assertEquals(RunState.RUNNING, machine.state);
        }
        waitFor(() -> !server.connected());
        try (Client d = connect()) {
            assertEquals("T05thread:01;", d.ask("?"));
        }
    }

    @Test void closingTheServerDropsTheClientAndTheHook() throws Exception {
        Client c = start();
        c.ask("?");
        assertTrue(machine.listener != null);
        server.close();
        String after;
        try {
            after = c.read(1);
        } catch (java.net.SocketException reset) {
            // the stub closed with our last acknowledgement still unread, which TCP reports as a reset: dropped too
            after = "";
        }
        assertEquals("", after, "the stub sent more instead of dropping the client");
        assertEquals(null, machine.listener);
        server = null;
        c.close();
    }

    @Test void unixSocketsWork() throws Exception {
        Path dir = Files.createTempDirectory("gdbstub");
        Path sock = dir.resolve("gdb.sock");
        server = new GdbServer(machine, GdbDevice.parse("unix:" + sock + ",server=on,wait=off"));
        try (Client c = new Client(SocketChannel.open(StandardProtocolFamily.UNIX))) {
            c.ch.connect(UnixDomainSocketAddress.of(sock));
            assertEquals("T05thread:01;", c.ask("?"));
        }
        server.close();
        server = null;
        assertFalse(Files.exists(sock));
        Files.delete(dir);
    }

    @Test void aBusyPortIsAClearError() throws Exception {
        start().close();
        QomException e = assertThrows(QomException.class,
                () -> new GdbServer(new FakeMachine(1), GdbDevice.parse("tcp:127.0.0.1:" + server.localPort())));
        assertTrue(e.getMessage().contains("cannot listen"), e.getMessage());
    }

    private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 500 && !c.getAsBoolean(); i++) Thread.sleep(10);
        assertTrue(c.getAsBoolean(), "condition not reached");
    }
}
