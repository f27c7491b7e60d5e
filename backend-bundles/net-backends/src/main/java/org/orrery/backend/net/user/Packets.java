package org.orrery.backend.net.user;

/**
 * Byte-level helpers for Ethernet, IPv4, UDP, TCP and ICMP: big-endian fields, the Internet checksum
 * (RFC 1071), and whole frames built for the guest. Addresses are IPv4 as {@code int}, MACs as 6 bytes.
 */
final class Packets {
    private Packets() { }

    static final int ETH_HEADER = 14;
    static final int ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806;
    static final int IP_HEADER = 20;
    static final int PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17;
    static final int UDP_HEADER = 8;
    static final byte[] BROADCAST_MAC = {-1, -1, -1, -1, -1, -1};

    static int u8(byte[] b, int at) { return b[at] & 0xff; }
    static int u16(byte[] b, int at) { return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff); }
    static int u32(byte[] b, int at) { return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff); }

    static void put16(byte[] b, int at, int v) { b[at] = (byte) (v >>> 8); b[at + 1] = (byte) v; }
    static void put32(byte[] b, int at, int v) { b[at] = (byte) (v >>> 24); b[at + 1] = (byte) (v >>> 16); b[at + 2] = (byte) (v >>> 8); b[at + 3] = (byte) v; }

    /** The one's-complement sum of {@code length} bytes, folded to 16 bits, not yet complemented. */
    static int sum(byte[] b, int at, int length, int initial) {
        long s = initial & 0xffffffffL;
        int end = at + length;
        int i = at;
        for (; i + 1 < end; i += 2) s += (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
        if (i < end) s += (b[i] & 0xff) << 8;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    static int checksum(byte[] b, int at, int length) { return ~sum(b, at, length, 0) & 0xffff; }

    /** The TCP/UDP pseudo-header sum (RFC 793, 768). */
    static int pseudoSum(int src, int dst, int protocol, int length) {
        int s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return s;
    }

    /** True when a transport segment's checksum (over the pseudo header) verifies. */
    static boolean transportChecksumOk(byte[] b, int at, int length, int src, int dst, int protocol) {
        return (~sum(b, at, length, pseudoSum(src, dst, protocol, length)) & 0xffff) == 0;
    }

    /**
     * A frame holding an IPv4 packet with {@code payloadLength} bytes of payload after the IP header, its
     * Ethernet and IP headers filled in (checksum included); the caller writes the payload at
     * {@link #payloadOffset()}.
     */
    static byte[] ipFrame(byte[] dstMac, byte[] srcMac, int src, int dst, int protocol, int payloadLength, int ipId) {
        byte[] f = new byte[ETH_HEADER + IP_HEADER + payloadLength];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        put16(f, 12, ETHERTYPE_IPV4);
        int ip = ETH_HEADER;
        f[ip] = 0x45;
        put16(f, ip + 2, IP_HEADER + payloadLength);
        put16(f, ip + 4, ipId);
        put16(f, ip + 6, 0x4000); // don't fragment
        f[ip + 8] = 64;
        f[ip + 9] = (byte) protocol;
        put32(f, ip + 12, src);
        put32(f, ip + 16, dst);
        put16(f, ip + 10, checksum(f, ip, IP_HEADER));
        return f;
    }

    static int payloadOffset() { return ETH_HEADER + IP_HEADER; }

    /** A UDP datagram in a frame, checksummed. */
    static byte[] udpFrame(byte[] dstMac, byte[] srcMac, int src, int srcPort, int dst, int dstPort, byte[] data, int offset, int length, int ipId) {
        byte[] f = ipFrame(dstMac, srcMac, src, dst, PROTO_UDP, UDP_HEADER + length, ipId);
        int u = payloadOffset();
        put16(f, u, srcPort);
        put16(f, u + 2, dstPort);
        put16(f, u + 4, UDP_HEADER + length);
        System.arraycopy(data, offset, f, u + UDP_HEADER, length);
        int c = ~sum(f, u, UDP_HEADER + length, pseudoSum(src, dst, PROTO_UDP, UDP_HEADER + length)) & 0xffff;
        put16(f, u + 6, c == 0 ? 0xffff : c);
        return f;
    }

    static String ip(int a) { return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff); }

    /** Parses a dotted IPv4 address; null when it is not one. */
    static Integer parseIp(String s) {
        String[] p = s.split("\\.", -1);
        if (p.length != 4) return null;
        int a = 0;
        for (String part : p) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) return null;
            int v = Integer.parseInt(part);
            if (v > 255) return null;
            a = a << 8 | v;
        }
        return a;
    }

    static byte[] ipBytes(int a) { return new byte[]{(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}; }

    static int ipOf(byte[] four) { return u32(four, 0); }
}
