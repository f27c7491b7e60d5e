package org.orrery.backend.net.user;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Plays the guest on a user network: builds its frames as a guest's stack would and collects what comes back. */
final class Guest implements AutoCloseable {
    static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final int IP = 0x0a00020f, HOST = 0x0a000202, DNS = 0x0a000203;

    final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    final UserNetwork net;

    Guest(UserConfig config) throws IOException {
        net = new UserNetwork("test", config, new UserNetwork.GuestLink() {
            @Override public boolean deliver(byte[] frame) { return received.add(frame); }
            @Override public boolean hasRoom() { return received.size() < 256; }
        });
        net.start();
    }

    Guest() throws IOException { this(UserConfig.defaults()); }

    void send(byte[] frame) { net.fromGuest(frame, 0, frame.length); }

    /** The next frame for the guest that matches, within two seconds (others are skipped); fails without one. */
    byte[] await(Predicate<byte[]> what) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            long left = deadline - System.nanoTime();
            byte[] f = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
            if (f == null) throw new AssertionError("no matching frame for the guest");
            if (what.test(f)) return f;
        }
    }

    /** Waits a moment and says whether nothing matching arrived. */
    boolean nothing(Predicate<byte[]> what) throws InterruptedException {
        long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] f = received.poll(50, TimeUnit.MILLISECONDS);
            if (f != null && what.test(f)) return false;
        }
        return true;
    }

    @Override public void close() { net.close(); }

    // ---- frames a guest sends ----

    static byte[] ethernet(byte[] dst, int type, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(MAC, 0, f, 6, 6);
        Packets.put16(f, 12, type);
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    static byte[] arpRequest(int sender, int target) {
        byte[] a = new byte[28];
        Packets.put16(a, 0, 1);
        Packets.put16(a, 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        Packets.put16(a, 6, 1);
        System.arraycopy(MAC, 0, a, 8, 6);
        Packets.put32(a, 14, sender);
        Packets.put32(a, 24, target);
        return ethernet(Packets.BROADCAST_MAC, 0x0806, a);
    }

    /** An IPv4 frame to the gateway's MAC with a correct header checksum. */
    static byte[] ip(int src, int dst, int protocol, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        Packets.put16(p, 2, p.length);
        p[8] = 64;
        p[9] = (byte) protocol;
        Packets.put32(p, 12, src);
        Packets.put32(p, 16, dst);
        Packets.put16(p, 10, Packets.checksum(p, 0, 20));
        System.arraycopy(payload, 0, p, 20, payload.length);
        return ethernet(dst == -1 ? Packets.BROADCAST_MAC : UserNetwork.virtualMac(HOST), 0x0800, p);
    }

    static byte[] udp(int src, int srcPort, int dst, int dstPort, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Packets.put16(u, 0, srcPort);
        Packets.put16(u, 2, dstPort);
        Packets.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int c = ~Packets.sum(u, 0, u.length, Packets.pseudoSum(src, dst, 17, u.length)) & 0xffff;
        Packets.put16(u, 6, c == 0 ? 0xffff : c);
        return ip(src, dst, 17, u);
    }

    static byte[] tcp(int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags, int window, byte[] data) {
        byte[] t = new byte[20 + data.length];
        Packets.put16(t, 0, srcPort);
        Packets.put16(t, 2, dstPort);
        Packets.put32(t, 4, seq);
        Packets.put32(t, 8, ack);
        t[12] = 5 << 4;
        t[13] = (byte) flags;
        Packets.put16(t, 14, window);
        System.arraycopy(data, 0, t, 20, data.length);
        Packets.put16(t, 16, ~Packets.sum(t, 0, t.length, Packets.pseudoSum(src, dst, 6, t.length)) & 0xffff);
        return ip(src, dst, 6, t);
    }

    static byte[] dhcp(int type, int requested) {
        byte[] b = new byte[300];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        Packets.put32(b, 4, 0x12345678);
        System.arraycopy(MAC, 0, b, 28, 6);
        Packets.put32(b, 236, Dhcp.MAGIC);
        int o = 240;
        b[o++] = 53; b[o++] = 1; b[o++] = (byte) type;
        if (requested != 0) { b[o++] = 50; b[o++] = 4; Packets.put32(b, o, requested); o += 4; }
        b[o] = (byte) 255;
        return udp(0, 68, -1, 67, b);
    }

    static byte[] tftpRequest(String file, String... options) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.write(0);
        o.write(1);
        for (String s : concat(List.of(file, "octet"), List.of(options))) {
            o.writeBytes(s.getBytes());
            o.write(0);
        }
        return o.toByteArray();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static byte[] tftpAck(int block) { return new byte[]{0, 4, (byte) (block >>> 8), (byte) block}; }

    // ---- reading what comes back ----

    static int etherType(byte[] f) { return Packets.u16(f, 12); }
    static int protocol(byte[] f) { return f[23] & 0xff; }
    static int srcIp(byte[] f) { return Packets.u32(f, 26); }
    static int dstIp(byte[] f) { return Packets.u32(f, 30); }
    static int l4(byte[] f) { return 14 + (f[14] & 15) * 4; }
    static int srcPort(byte[] f) { return Packets.u16(f, l4(f)); }
    static int dstPort(byte[] f) { return Packets.u16(f, l4(f) + 2); }
    static boolean isUdp(byte[] f) { return etherType(f) == 0x0800 && protocol(f) == 17; }
    static boolean isTcp(byte[] f) { return etherType(f) == 0x0800 && protocol(f) == 6; }
    static byte[] udpData(byte[] f) { int u = l4(f); return java.util.Arrays.copyOfRange(f, u + 8, u + Packets.u16(f, u + 4)); }
    static int tcpFlags(byte[] f) { return f[l4(f) + 13] & 0x3f; }
    static int tcpSeq(byte[] f) { return Packets.u32(f, l4(f) + 4); }
    static int tcpAck(byte[] f) { return Packets.u32(f, l4(f) + 8); }
    static byte[] tcpData(byte[] f) {
        int t = l4(f), total = Packets.u16(f, 16) + 14;
        return java.util.Arrays.copyOfRange(f, t + (f[t + 12] >>> 4 & 15) * 4, total);
    }

    /** True when every checksum of a frame for the guest verifies (IP header, and UDP/TCP/ICMP over their data). */
    static boolean checksumsOk(byte[] f) {
        if (etherType(f) != 0x0800) return true;
        int ihl = (f[14] & 15) * 4, total = Packets.u16(f, 16);
        if (Packets.checksum(f, 14, ihl) != 0) return false;
        int p = 14 + ihl, len = total - ihl;
        return switch (protocol(f)) {
            case 1 -> Packets.checksum(f, p, len) == 0;
            case 6, 17 -> Packets.transportChecksumOk(f, p, len, srcIp(f), dstIp(f), protocol(f));
            default -> true;
        };
    }
}
