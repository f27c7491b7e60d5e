package org.orrery.backend.net.user;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The DHCP server of the user network (RFC 2131, options from RFC 2132): each client MAC gets the next free
 * address from {@code dhcpstart} (10.0.2.15 first), with the host as router and server, the DNS forwarder, a
 * day's lease, and the boot file name when {@code bootfile=} is given. DISCOVER gets an OFFER, REQUEST an ACK
 * (or a NAK for an address that is not the client's), anything else is ignored.
 */
final class Dhcp {
    static final int SERVER_PORT = 67, CLIENT_PORT = 68;
    static final int MAGIC = 0x63825363;
    static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7, INFORM = 8;
    static final int LEASES = 16;
    static final int LEASE_SECONDS = 86400;
    /** The fixed BOOTP part: op .. file, then the magic cookie. */
    static final int FIXED = 236;

    private final UserNetwork net;
    private final Map<String, Integer> leases = new HashMap<>();

    Dhcp(UserNetwork net) { this.net = net; }

    void handle(byte[] f, int p, int length, byte[] frameMac) {
        if (length < FIXED + 4 || f[p] != 1 || Packets.u32(f, p + FIXED) != MAGIC) { net.counters.malformed.incrementAndGet(); return; }
        int hlen = f[p + 2] & 0xff;
        if (f[p + 1] != 1 || hlen != 6) { net.counters.unsupported.incrementAndGet(); return; }
        int xid = Packets.u32(f, p + 4);
        int flags = Packets.u16(f, p + 10);
        byte[] chaddr = Arrays.copyOfRange(f, p + 28, p + 34);
        int type = 0, requested = 0;
        for (int o = p + FIXED + 4; o < p + length; ) {
            int code = f[o] & 0xff;
            if (code == 255) break;
            if (code == 0) { o++; continue; }
            if (o + 1 >= p + length) break;
            int len = f[o + 1] & 0xff;
            if (o + 2 + len > p + length) { net.counters.malformed.incrementAndGet(); return; }
            if (code == 53 && len == 1) type = f[o + 2] & 0xff;
            if (code == 50 && len == 4) requested = Packets.u32(f, o + 2);
            o += 2 + len;
        }
        String client = macText(chaddr);
        switch (type) {
            case DISCOVER -> {
                Integer a = lease(client);
                if (a != null) reply(OFFER, xid, flags, chaddr, a);
            }
            case REQUEST -> {
                Integer a = lease(client);
                if (a == null) return;
                int ciaddr = Packets.u32(f, p + 12);
                int wanted = requested != 0 ? requested : ciaddr;
                if (wanted != 0 && wanted != a) reply(NAK, xid, flags, chaddr, 0);
                else reply(ACK, xid, flags, chaddr, a);
            }
            case RELEASE -> leases.remove(client);
            case 0 -> net.counters.unsupported.incrementAndGet(); // plain BOOTP
            default -> { }
        }
    }

    /** The client's address: the one it had, or the first free one; null when all are taken. */
    private Integer lease(String client) {
        Integer a = leases.get(client);
        if (a != null) return a;
        for (int i = 0; i < LEASES; i++) {
            int candidate = net.config.dhcpStart() + i;
            if (!net.config.inNetwork(candidate) || net.isVirtualHost(candidate)) continue;
            if (!leases.containsValue(candidate)) {
                leases.put(client, candidate);
                return candidate;
            }
        }
        return null;
    }

    private void reply(int type, int xid, int flags, byte[] chaddr, int yiaddr) {
        UserConfig c = net.config;
        byte[] b = new byte[548];
        b[0] = 2;
        b[1] = 1;
        b[2] = 6;
        Packets.put32(b, 4, xid);
        Packets.put16(b, 10, flags);
        if (type != NAK) {
            Packets.put32(b, 16, yiaddr);
            Packets.put32(b, 20, c.host()); // siaddr: the next server, the TFTP server
        }
        System.arraycopy(chaddr, 0, b, 28, 6);
        if (c.bootfile() != null && type != NAK) {
            byte[] file = c.bootfile().getBytes(StandardCharsets.UTF_8);
            System.arraycopy(file, 0, b, 108, Math.min(file.length, 127));
        }
        Packets.put32(b, FIXED, MAGIC);
        int o = FIXED + 4;
        b[o++] = 53; b[o++] = 1; b[o++] = (byte) type;
        o = option(b, o, 54, c.host());
        if (type != NAK) {
            o = option(b, o, 51, LEASE_SECONDS);
            o = option(b, o, 1, c.mask());
            o = option(b, o, 3, c.host());
            o = option(b, o, 6, c.dns());
            if (c.hostname() != null) {
                byte[] h = c.hostname().getBytes(StandardCharsets.UTF_8);
                int n = Math.min(h.length, 255);
                b[o++] = 12;
                b[o++] = (byte) n;
                System.arraycopy(h, 0, b, o, n);
                o += n;
            }
        }
        b[o] = (byte) 255;
        net.udpToGuestMac(chaddr, c.host(), SERVER_PORT, -1, CLIENT_PORT, b);
    }

    private static int option(byte[] b, int o, int code, int value) {
        b[o] = (byte) code;
        b[o + 1] = 4;
        Packets.put32(b, o + 2, value);
        return o + 6;
    }

    static String macText(byte[] m) {
        StringBuilder s = new StringBuilder();
        for (byte x : m) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }
}
