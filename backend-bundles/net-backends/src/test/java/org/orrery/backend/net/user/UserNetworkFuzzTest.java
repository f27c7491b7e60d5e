package org.orrery.backend.net.user;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.orrery.backend.net.user.Guest.*;

/**
 * Random and damaged frames from a guest: every one is dropped or answered, none makes the network's thread
 * throw (the internal-error count stays zero), and afterwards the network still serves DHCP, ping and TFTP.
 */
class UserNetworkFuzzTest {
    @TempDir Path tmp;

    @Test void randomAndMalformedFramesNeverBreakTheNetwork() throws Exception {
        Files.write(tmp.resolve("f"), new byte[5000]);
        UserConfig c = UserConfig.parse(null, null, null, null, tmp.toString(), null, false, null, List.of());
        Random r = new Random(21);
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(arpRequest(IP, HOST));
        seeds.add(dhcp(Dhcp.DISCOVER, 0));
        seeds.add(dhcp(Dhcp.REQUEST, IP));
        seeds.add(udp(IP, 3000, HOST, 69, tftpRequest("f", "blksize", "1468", "tsize", "0", "windowsize", "4")));
        seeds.add(udp(IP, 3000, HOST, 49152, tftpAck(1)));
        seeds.add(tcp(IP, 40000, 0x7f000001, 9, 1, 0, TcpNat.SYN, 65535, new byte[0])); // 127.0.0.1: refused at once
        seeds.add(tcp(IP, 40000, HOST, 1, 1, 5, TcpNat.ACK | TcpNat.PSH, 100, "x".getBytes()));
        byte[] echo = new byte[16];
        echo[0] = 8;
        Packets.put16(echo, 2, Packets.checksum(echo, 0, 16));
        seeds.add(ip(IP, HOST, 1, echo));
        try (Guest g = new Guest(c)) {
            for (int i = 0; i < 30_000; i++) {
                byte[] f;
                switch (r.nextInt(4)) {
                    case 0 -> { // noise
                        f = new byte[r.nextInt(120)];
                        r.nextBytes(f);
                    }
                    case 1 -> { // a valid frame, cut short or padded
                        byte[] s = seeds.get(r.nextInt(seeds.size()));
                        f = java.util.Arrays.copyOf(s, r.nextInt(s.length + 40));
                    }
                    default -> { // a valid frame with bytes flipped (headers mostly, where parsers look)
                        byte[] s = seeds.get(r.nextInt(seeds.size()));
                        f = s.clone();
                        for (int k = 1 + r.nextInt(4); k > 0; k--) {
                            int at = r.nextInt(Math.min(f.length, 80));
                            f[at] = (byte) r.nextInt(256);
                        }
                        if (r.nextBoolean() && f.length > 34) fixIpChecksum(f); // so the damage reaches the upper layers
                    }
                }
                g.send(f);
                if (i % 500 == 0) {
                    g.received.clear();
                    awaitProcessed(g, i + 1); // never more than the inbound queue holds: every frame is parsed
                }
            }
            awaitProcessed(g, 30_000);
            assertEquals(0, g.net.counters().droppedFromGuest.get());
            assertEquals(0, g.net.counters().internalErrors.get(), "no frame made a parser throw");
            assertTrue(g.net.counters().malformed.get() > 1000, "damaged frames are counted: " + g.net.counters().malformed.get());
            g.received.clear();
            g.send(dhcp(Dhcp.DISCOVER, 0));
            g.await(f -> isUdp(f) && dstPort(f) == 68);
            g.send(ip(IP, HOST, 1, echo));
            g.await(f -> etherType(f) == 0x0800 && protocol(f) == 1);
            g.send(udp(IP, 3999, HOST, 69, tftpRequest("f")));
            byte[] d = udpData(g.await(f -> isUdp(f) && dstPort(f) == 3999));
            assertEquals(3, d[1], "TFTP still serves");
        }
    }

    private static void awaitProcessed(Guest g, long frames) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (g.net.counters().fromGuest.get() + g.net.counters().droppedFromGuest.get() < frames && System.nanoTime() < deadline)
            Thread.sleep(1);
    }

    private static void fixIpChecksum(byte[] f) {
        if (Packets.u16(f, 12) != 0x0800) return;
        int ihl = (f[14] & 15) * 4;
        if (ihl < 20 || 14 + ihl > f.length) return;
        f[24] = 0;
        f[25] = 0;
        Packets.put16(f, 24, Packets.checksum(f, 14, ihl));
    }
}
