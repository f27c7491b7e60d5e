package org.orrery.backend.net.user;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.orrery.backend.net.user.Guest.*;

/** The user network seen from a guest: the frames a guest stack sends, and what it gets back. */
class UserNetworkTest {
    @TempDir Path tmp;

    @Test void arpAnswersForTheGatewayAndTheDnsOnly() throws Exception {
        try (Guest g = new Guest()) {
            g.send(arpRequest(IP, HOST));
            byte[] r = g.await(f -> etherType(f) == 0x0806);
            assertEquals(2, Packets.u16(r, 20), "an ARP reply");
            assertArrayEquals(UserNetwork.virtualMac(HOST), java.util.Arrays.copyOfRange(r, 22, 28));
            assertEquals(HOST, Packets.u32(r, 28));
            assertArrayEquals(MAC, java.util.Arrays.copyOfRange(r, 0, 6), "sent to the asker");
            g.send(arpRequest(IP, DNS));
            assertEquals(DNS, Packets.u32(g.await(f -> etherType(f) == 0x0806), 28));
            g.send(arpRequest(IP, 0x0a000209));
            assertTrue(g.nothing(f -> etherType(f) == 0x0806), "no answer for an address nobody has");
        }
    }

    @Test void dhcpLeases10_0_2_15WithGatewayAndDns() throws Exception {
        try (Guest g = new Guest(UserConfig.parse(null, null, null, null, null, "boot.scr", false, "vm1", List.of()))) {
            g.send(dhcp(Dhcp.DISCOVER, 0));
            byte[] offer = udpData(g.await(f -> isUdp(f) && dstPort(f) == 68));
            assertEquals(2, offer[0], "a BOOTREPLY");
            assertEquals(0x12345678, Packets.u32(offer, 4), "same transaction");
            assertEquals(IP, Packets.u32(offer, 16), "yiaddr 10.0.2.15");
            assertEquals(HOST, Packets.u32(offer, 20), "siaddr: the TFTP server");
            assertEquals("boot.scr", new String(offer, 108, 8));
            assertEquals(Dhcp.OFFER, option(offer, 53)[0]);
            assertEquals(HOST, Packets.u32(option(offer, 3), 0), "router");
            assertEquals(DNS, Packets.u32(option(offer, 6), 0), "DNS");
            assertEquals(0xffffff00, Packets.u32(option(offer, 1), 0), "mask");
            assertEquals("vm1", new String(option(offer, 12)));
            g.send(dhcp(Dhcp.REQUEST, IP));
            byte[] ack = udpData(g.await(f -> isUdp(f) && dstPort(f) == 68));
            assertEquals(Dhcp.ACK, option(ack, 53)[0]);
            g.send(dhcp(Dhcp.REQUEST, 0x0a000263));
            assertEquals(Dhcp.NAK, option(udpData(g.await(f -> isUdp(f) && dstPort(f) == 68)), 53)[0], "not its address");
        }
    }

    private static byte[] option(byte[] bootp, int code) {
        for (int o = 240; o < bootp.length && bootp[o] != (byte) 255; ) {
            int c = bootp[o] & 0xff, len = bootp[o + 1] & 0xff;
            if (c == code) return java.util.Arrays.copyOfRange(bootp, o + 2, o + 2 + len);
            o += 2 + len;
        }
        throw new AssertionError("no option " + code);
    }

    @Test void pingTheGateway() throws Exception {
        try (Guest g = new Guest()) {
            byte[] echo = new byte[8 + 32];
            echo[0] = 8;
            Packets.put16(echo, 4, 0x77);
            Packets.put16(echo, 6, 3);
            for (int i = 8; i < echo.length; i++) echo[i] = (byte) i;
            Packets.put16(echo, 2, Packets.checksum(echo, 0, echo.length));
            g.send(ip(IP, HOST, 1, echo));
            byte[] r = g.await(f -> etherType(f) == 0x0800 && protocol(f) == 1);
            assertTrue(checksumsOk(r));
            assertEquals(0, r[34], "echo reply");
            assertEquals(HOST, srcIp(r));
            assertEquals(IP, dstIp(r));
            assertArrayEquals(java.util.Arrays.copyOfRange(echo, 4, echo.length), java.util.Arrays.copyOfRange(r, 38, 34 + echo.length));
        }
    }

    @Test void tftpServesAFileWithTheOptionsUBootAsksFor() throws Exception {
        byte[] content = new byte[100_000];
        new Random(1).nextBytes(content);
        Files.write(tmp.resolve("payload.bin"), content);
        try (Guest g = new Guest(UserConfig.parse(null, null, null, null, tmp.toString(), null, false, null, List.of()))) {
            g.send(udp(IP, 3000, HOST, 69, tftpRequest("payload.bin", "timeout", "5", "tsize", "0", "blksize", "1468")));
            byte[] oackFrame = g.await(f -> isUdp(f) && dstPort(f) == 3000);
            assertTrue(checksumsOk(oackFrame));
            int server = srcPort(oackFrame);
            String oack = new String(udpData(oackFrame), 2, udpData(oackFrame).length - 2).replace('\0', ' ');
            assertTrue(udpData(oackFrame)[1] == 6, "an OACK");
            assertTrue(oack.contains("blksize 1468") && oack.contains("tsize 100000") && oack.contains("timeout 5"), oack);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int block = 0;
            while (true) {
                g.send(udp(IP, 3000, HOST, server, tftpAck(block)));
                byte[] d = udpData(g.await(f -> isUdp(f) && dstPort(f) == 3000));
                assertEquals(3, d[1], "DATA");
                assertEquals(block + 1, Packets.u16(d, 2));
                got.write(d, 4, d.length - 4);
                block++;
                if (d.length - 4 < 1468) break;
            }
            g.send(udp(IP, 3000, HOST, server, tftpAck(block)));
            assertArrayEquals(content, got.toByteArray());
            assertEquals(69, block, "100000 bytes in 1468-byte blocks");
        }
    }

    @Test void tftpRefusesNamesOutsideItsFolderAndWrites() throws Exception {
        Files.writeString(tmp.resolve("secret"), "no");
        Path root = Files.createDirectory(tmp.resolve("root"));
        try (Guest g = new Guest(UserConfig.parse(null, null, null, null, root.toString(), null, false, null, List.of()))) {
            for (String name : List.of("../secret", "/../secret", "missing")) {
                g.send(udp(IP, 3001, HOST, 69, tftpRequest(name)));
                byte[] e = udpData(g.await(f -> isUdp(f) && dstPort(f) == 3001));
                assertEquals(5, e[1], "ERROR for " + name);
                assertEquals(1, e[3], "File not found");
            }
            byte[] wrq = tftpRequest("x");
            wrq[1] = 2;
            g.send(udp(IP, 3002, HOST, 69, wrq));
            byte[] e = udpData(g.await(f -> isUdp(f) && dstPort(f) == 3002));
            assertEquals(2, e[3], "Access violation");
        }
    }

    /** A guest connecting out to 10.0.2.2:PORT reaches the host's loopback; data flows both ways; FINs close it. */
    @Test void tcpToTheGatewayReachesTheHostsLoopback() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()); Guest g = new Guest()) {
            int port = server.getLocalPort();
            g.send(tcp(IP, 40000, HOST, port, 1000, 0, TcpNat.SYN, 65535, new byte[0]));
            Socket host = server.accept();
            byte[] synAck = g.await(f -> isTcp(f) && dstPort(f) == 40000);
            assertTrue(checksumsOk(synAck));
            assertEquals(TcpNat.SYN | TcpNat.ACK, tcpFlags(synAck));
            assertEquals(1001, tcpAck(synAck));
            int seq = tcpSeq(synAck) + 1;
            g.send(tcp(IP, 40000, HOST, port, 1001, seq, TcpNat.ACK | TcpNat.PSH, 65535, "hello".getBytes()));
            byte[] buf = new byte[5];
            InputStream in = host.getInputStream();
            assertEquals(5, in.readNBytes(buf, 0, 5));
            assertEquals("hello", new String(buf));
            OutputStream out = host.getOutputStream();
            byte[] big = new byte[200_000];
            new Random(2).nextBytes(big);
            out.write(big);
            out.flush();
            host.shutdownOutput();
            // the guest receives and acknowledges as it goes; the window (65535) holds the rest back
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int rcv = seq;
            boolean fin = false;
            while (!fin) {
                byte[] s = g.await(f -> isTcp(f) && dstPort(f) == 40000);
                assertTrue(checksumsOk(s));
                byte[] d = tcpData(s);
                if (tcpSeq(s) == rcv) {
                    got.write(d);
                    rcv += d.length;
                    if ((tcpFlags(s) & TcpNat.FIN) != 0) { rcv++; fin = true; }
                }
                g.send(tcp(IP, 40000, HOST, port, 1006, rcv, TcpNat.ACK, 65535, new byte[0]));
            }
            assertArrayEquals(big, got.toByteArray());
            g.send(tcp(IP, 40000, HOST, port, 1006, rcv, TcpNat.FIN | TcpNat.ACK, 65535, new byte[0]));
            assertEquals(-1, in.read(), "the guest's FIN closes the host side");
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (g.net.tcpConnections() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(0, g.net.tcpConnections(), "the connection is cleaned up");
            host.close();
        }
    }

    /**
     * The guest's data is acknowledged as a receiver should: a second full-sized segment at once, covering the
     * first (one ACK frame for two), a short one at once, and a lone full one on the network thread's next turn,
     * not after a timer or never.
     */
    @Test void guestSegmentsAreAcknowledgedEverySecondFullOneAndALoneOneWithoutDelay() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()); Guest g = new Guest()) {
            int port = server.getLocalPort();
            int ours = established(g, 40003, port, 1000);
            Socket host = server.accept();
            byte[] data = new byte[3 * 1460 + 100];
            new Random(3).nextBytes(data);
            java.util.function.IntFunction<byte[]> segment = i -> tcp(IP, 40003, HOST, port, 1001 + i * 1460, ours, TcpNat.ACK, 65535,
                    java.util.Arrays.copyOfRange(data, i * 1460, Math.min(data.length, (i + 1) * 1460)));
            // two full segments in one turn of the network (as a burst from the guest's NIC arrives)
            g.net.locked(() -> { g.send(segment.apply(0)); g.send(segment.apply(1)); return 0; });
            byte[] ack = g.await(f -> isTcp(f) && dstPort(f) == 40003);
            assertEquals(1001 + 2 * 1460, tcpAck(ack), "one ACK covers both segments; none for the first alone");
            assertTrue(g.nothing(f -> isTcp(f) && dstPort(f) == 40003), "no second ACK for the same data");
            g.send(segment.apply(2));
            long sent = System.nanoTime();
            assertEquals(1001 + 3 * 1460, tcpAck(g.await(f -> isTcp(f) && dstPort(f) == 40003)), "a lone full segment is acknowledged");
            assertTrue(System.nanoTime() - sent < 1_000_000_000L * TcpNat.RETRANSMIT_MS / 1000, "without waiting for a timer");
            g.send(segment.apply(3));
            assertEquals(1001 + data.length, tcpAck(g.await(f -> isTcp(f) && dstPort(f) == 40003)), "a short segment at once");
            assertArrayEquals(data, host.getInputStream().readNBytes(data.length));
            host.close();
        }
    }

    /** The guest's three-way handshake from guestPort (initial sequence number iss) to the host's port; our next sequence number. */
    private static int established(Guest g, int guestPort, int port, int iss) throws InterruptedException {
        g.send(tcp(IP, guestPort, HOST, port, iss, 0, TcpNat.SYN, 65535, new byte[0]));
        int ours = tcpSeq(g.await(f -> isTcp(f) && dstPort(f) == guestPort && tcpFlags(f) == (TcpNat.SYN | TcpNat.ACK))) + 1;
        g.send(tcp(IP, guestPort, HOST, port, iss + 1, ours, TcpNat.ACK, 65535, new byte[0]));
        return ours;
    }

    @Test void aRefusedHostConnectionIsAResetAndRestrictRefusesEverything() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { closedPort = s.getLocalPort(); }
        try (Guest g = new Guest()) {
            g.send(tcp(IP, 40001, HOST, closedPort, 5, 0, TcpNat.SYN, 65535, new byte[0]));
            assertEquals(TcpNat.RST | TcpNat.ACK, tcpFlags(g.await(f -> isTcp(f) && dstPort(f) == 40001)));
        }
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Guest g = new Guest(UserConfig.parse(null, null, null, null, null, null, true, null, List.of()))) {
            server.setSoTimeout(300);
            g.send(tcp(IP, 40002, HOST, server.getLocalPort(), 5, 0, TcpNat.SYN, 65535, new byte[0]));
            assertEquals(TcpNat.RST | TcpNat.ACK, tcpFlags(g.await(f -> isTcp(f) && dstPort(f) == 40002)));
            assertThrows(java.net.SocketTimeoutException.class, server::accept, "restrict=on: nothing reaches the host");
            g.send(dhcp(Dhcp.DISCOVER, 0));
            g.await(f -> isUdp(f) && dstPort(f) == 68); // DHCP still answers
        }
    }

    /** hostfwd=tcp:127.0.0.1:0-:80: a host client's connection opens one into the guest's port 80. */
    @Test void hostForwardingOpensAConnectionIntoTheGuest() throws Exception {
        UserConfig c = UserConfig.parse(null, null, null, null, null, null, true, null, List.of("tcp:127.0.0.1:0-:80"));
        try (Guest g = new Guest(c)) {
            g.send(arpRequest(IP, HOST)); // the network learns the guest's MAC
            g.await(f -> etherType(f) == 0x0806);
            int port = g.net.tcp.listeningPorts().get(0);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                byte[] syn = g.await(f -> isTcp(f) && dstPort(f) == 80);
                assertEquals(TcpNat.SYN, tcpFlags(syn));
                assertEquals(HOST, srcIp(syn));
                int from = srcPort(syn);
                g.send(tcp(IP, 80, HOST, from, 7000, tcpSeq(syn) + 1, TcpNat.SYN | TcpNat.ACK, 65535, new byte[0]));
                g.await(f -> isTcp(f) && tcpFlags(f) == TcpNat.ACK && tcpAck(f) == 7001);
                g.send(tcp(IP, 80, HOST, from, 7001, tcpSeq(syn) + 1, TcpNat.ACK | TcpNat.PSH, 65535, "HTTP/1.0 200 OK\r\n".getBytes()));
                byte[] line = client.getInputStream().readNBytes(17);
                assertEquals("HTTP/1.0 200 OK\r\n", new String(line));
                client.getOutputStream().write("GET /".getBytes());
                byte[] data = g.await(f -> isTcp(f) && tcpData(f).length > 0);
                assertEquals("GET /", new String(tcpData(data)));
            }
        }
    }

    @Test void hostForwardRulesAreCheckedAndABusyPortIsAClearError() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> UserConfig.parse(null, null, null, null, null, null, false, null, List.of("tcp::22")));
        assertThrows(IllegalArgumentException.class, () -> UserConfig.parse(null, null, null, null, null, null, false, null, List.of("sctp::1-:2")));
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            UserConfig c = UserConfig.parse(null, null, null, null, null, null, false, null, List.of("tcp:127.0.0.1:" + taken.getLocalPort() + "-:22"));
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> new Guest(c));
            assertTrue(e.getMessage().startsWith("Could not set up host forwarding rule"), e.getMessage());
        }
    }
}
