package org.orrery.backend.net.user;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * User-mode networking: a virtual Ethernet segment with a gateway (the host, by default 10.0.2.2) and a DNS
 * forwarder (10.0.2.3), as QEMU's {@code -netdev user} presents them. It answers ARP for those two, ICMP echo
 * to them, DHCP ({@link Dhcp}) and TFTP ({@link Tftp}) itself, and carries the guest's UDP and TCP to the
 * host through ordinary host sockets ({@link UdpNat}, {@link TcpNat}), the host's loopback standing behind the
 * gateway's address; {@code hostfwd} rules listen on host ports and open connections into the guest.
 *
 * <p>Everything runs on one thread of its own (frames from the guest are queued to it, host sockets are
 * multiplexed on one selector), so no state here is shared and the machine's lock is never held. A frame that
 * does not parse is dropped and counted; no frame from the guest can make this thread throw.
 */
public final class UserNetwork implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UserNetwork.class.getName());
    /** Frames from the guest waiting for this thread; more are dropped (and counted). */
    static final int INBOUND_LIMIT = 4096;
    static final long TICK_MS = 50;

    /** Where frames for the guest go: the netdev's queue to its NIC. Called on this network's thread. */
    public interface GuestLink {
        /** Queues a frame for the guest; false when the queue is full and the frame was not taken. */
        boolean deliver(byte[] frame);

        /** True while the queue to the guest has room (TCP reads from host sockets only then). */
        boolean hasRoom();
    }

    /** Frame counts, readable from any thread. */
    public static final class Counters {
        public final AtomicLong fromGuest = new AtomicLong(), toGuest = new AtomicLong(), malformed = new AtomicLong(),
                unsupported = new AtomicLong(), refused = new AtomicLong(), droppedToGuest = new AtomicLong(),
                droppedFromGuest = new AtomicLong();
        /** Frames whose handling threw: a parsing bug, never the guest's fault; dropped like malformed ones. */
        public final AtomicLong internalErrors = new AtomicLong();
        /** TCP segments sent to the guest again after a silence (go-back-N), and TFTP blocks repeated. */
        public final AtomicLong retransmits = new AtomicLong();
    }

    /** Something registered with the selector. */
    interface Channel {
        void ready(SelectionKey key) throws IOException;

        void close();
    }

    final String name;
    final UserConfig config;
    final GuestLink link;
    final Counters counters = new Counters();
    final Selector selector;
    final Dhcp dhcp;
    final Tftp tftp;
    final UdpNat udp;
    final TcpNat tcp;
    /** Guards all the state below: held by the network's thread while it works, and by a caller answering at once. */
    private final java.util.concurrent.locks.ReentrantLock stack = new java.util.concurrent.locks.ReentrantLock();
    private final ConcurrentLinkedQueue<byte[]> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboundSize = new AtomicInteger();
    /** Guest addresses to their MACs, as learned from their frames. */
    private final Map<Integer, byte[]> guestMacs = new HashMap<>();
    private byte[] lastGuestMac;
    private int ipId;
    private volatile boolean closed;
    private Thread thread;
    private boolean errorLogged;

    /** Sets the network up and opens the host ports its {@code hostfwd} rules name (the only ones it opens). */
    public UserNetwork(String name, UserConfig config, GuestLink link) throws IOException {
        this.name = name;
        this.config = config;
        this.link = link;
        this.selector = Selector.open();
        this.dhcp = new Dhcp(this);
        this.tftp = new Tftp(this);
        this.udp = new UdpNat(this);
        this.tcp = new TcpNat(this);
        try {
            tcp.listen(config.hostForwards());
            udp.listen(config.hostForwards());
        } catch (IOException | RuntimeException e) {
            tcp.closeAll();
            udp.closeAll();
            selector.close();
            throw e;
        }
    }

    public void start() {
        thread = Thread.ofPlatform().daemon(true).name("netdev-" + name).start(this::run);
    }

    public Counters counters() { return counters; }

    public UserConfig config() { return config; }

    /** Open TCP connections, for queries. */
    public int tcpConnections() { return locked(tcp::size); }

    /** Open UDP flows, for queries. */
    public int udpFlows() { return locked(udp::size); }

    /** Runs {@code read} with the stack lock held (the network's thread waits). Package-visible for tests. */
    int locked(java.util.function.IntSupplier read) {
        stack.lock();
        try {
            return read.getAsInt();
        } finally {
            stack.unlock();
        }
    }

    /**
     * A frame from the guest, from any thread. Frames that need no host I/O (ARP, ping of the gateway, DHCP, the
     * acknowledgements of a TFTP transfer whose file is in memory, TCP segments of an established connection
     * without SYN, FIN or RST: their data is taken and acknowledged here and written to the host by the network's
     * thread) are answered at once on the calling thread
     * when nothing else is waiting and the network's thread is not busy, so a guest waiting for the answer gets
     * it without two thread hand-offs; everything else is copied into the queue for this network's thread.
     */
    public void fromGuest(byte[] frame, int offset, int length) {
        if (closed) return;
        if (inboundSize.get() == 0 && stack.tryLock()) {
            try {
                if (!closed && answersAtOnce(frame, offset, length)) {
                    counters.fromGuest.incrementAndGet();
                    handle(java.util.Arrays.copyOfRange(frame, offset, offset + length));
                    return;
                }
            } finally {
                stack.unlock();
            }
        }
        if (inboundSize.incrementAndGet() > INBOUND_LIMIT) {
            inboundSize.decrementAndGet();
            counters.droppedFromGuest.incrementAndGet();
            return;
        }
        inbound.add(java.util.Arrays.copyOfRange(frame, offset, offset + length));
        selector.wakeup();
    }

    /** True on the network's own thread, the only one that does host I/O. */
    boolean onNetworkThread() { return Thread.currentThread() == thread; }

    /** The queue to the guest has room again: TCP may read from the host. */
    public void wakeup() { selector.wakeup(); }

    @Override public void close() {
        closed = true;
        selector.wakeup();
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t == null) shutdown();
    }

    /** True for a well-formed frame {@link #fromGuest} may answer on the caller's thread (the stack lock held). */
    private boolean answersAtOnce(byte[] f, int o, int length) {
        if (length < Packets.ETH_HEADER + Packets.IP_HEADER) return false;
        int type = Packets.u16(f, o + 12);
        if (type == Packets.ETHERTYPE_ARP) return true;
        if (type != Packets.ETHERTYPE_IPV4) return false;
        int ihl = (f[o + 14] & 15) * 4;
        int protocol = f[o + 23] & 0xff;
        int dst = Packets.u32(f, o + 30);
        if (protocol == Packets.PROTO_ICMP) return isVirtualHost(dst);
        if (protocol == Packets.PROTO_TCP && ihl >= Packets.IP_HEADER && length >= Packets.ETH_HEADER + ihl + 20) {
            int t = o + Packets.ETH_HEADER + ihl;
            boolean plain = (f[t + 13] & (TcpNat.SYN | TcpNat.RST | TcpNat.FIN)) == 0;
            return plain && tcp.established(Packets.u32(f, o + 26), Packets.u16(f, t), dst, Packets.u16(f, t + 2));
        }
        if (protocol != Packets.PROTO_UDP || ihl < Packets.IP_HEADER || length < Packets.ETH_HEADER + ihl + Packets.UDP_HEADER) return false;
        int dstPort = Packets.u16(f, o + Packets.ETH_HEADER + ihl + 2);
        return dstPort == Dhcp.SERVER_PORT || dst == config.host() && tftp.servesFromMemory(dstPort);
    }

    private void run() {
        long nextTick = System.nanoTime();
        try {
            while (!closed) {
                selector.select(TICK_MS);
                if (closed) break;
                stack.lock();
                try {
                    nextTick = step(nextTick);
                } finally {
                    stack.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("netdev " + name + ": network thread stopped: " + e);
        } finally {
            stack.lock();
            try {
                shutdown();
            } finally {
                stack.unlock();
            }
        }
    }

    /** One turn of the network's thread, with the stack lock held: host sockets, guest frames, timers. */
    private long step(long nextTick) {
        for (SelectionKey k : selector.selectedKeys()) {
            if (!k.isValid()) continue;
            Channel c = (Channel) k.attachment();
            try {
                c.ready(k);
            } catch (IOException | RuntimeException e) {
                failed(e);
                c.close();
            }
        }
        selector.selectedKeys().clear();
        byte[] f;
        while ((f = inbound.poll()) != null) {
            inboundSize.decrementAndGet();
            counters.fromGuest.incrementAndGet();
            handle(f);
        }
        tcp.flushAcks();
        tcp.resume();
        long now = System.nanoTime();
        if (now - nextTick < 0) return nextTick;
        long ms = now / 1_000_000;
        tftp.tick(ms);
        udp.tick(ms);
        tcp.tick(ms);
        return now + TICK_MS * 1_000_000;
    }

    private void shutdown() {
        tcp.closeAll();
        udp.closeAll();
        tftp.closeAll();
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing is left to release
        }
    }

    private void failed(Exception e) {
        if (!errorLogged) LOG.fine("netdev " + name + ": " + e);
        errorLogged = true;
    }

    /** Handles one frame from the guest; anything it cannot use is dropped and counted. Package-visible for tests. */
    void handle(byte[] f) {
        try {
            if (f.length < Packets.ETH_HEADER) { counters.malformed.incrementAndGet(); return; }
            int type = Packets.u16(f, 12);
            switch (type) {
                case Packets.ETHERTYPE_ARP -> arp(f);
                case Packets.ETHERTYPE_IPV4 -> ipv4(f);
                default -> counters.unsupported.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // a bounds check missed somewhere: the frame is dropped like any other malformed one
            counters.malformed.incrementAndGet();
            counters.internalErrors.incrementAndGet();
            if (!errorLogged) LOG.warning("netdev " + name + ": dropped a frame that failed to parse: " + e);
            errorLogged = true;
        }
    }

    // ---- addresses ----

    /** The MAC the virtual hosts answer with: 52:55 and the IPv4 address. */
    static byte[] virtualMac(int ip) {
        return new byte[]{0x52, 0x55, (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
    }

    byte[] sourceMac(int ip) { return virtualMac(ip == config.dns() ? config.dns() : config.host()); }

    /** The guest's MAC for {@code ip}: learned from its frames; else the last one seen; else broadcast. */
    byte[] guestMac(int ip) {
        byte[] m = guestMacs.get(ip);
        if (m != null) return m;
        return lastGuestMac != null ? lastGuestMac : Packets.BROADCAST_MAC;
    }

    boolean knowsGuest(int ip) { return guestMacs.containsKey(ip); }

    int nextIpId() { return ipId = (ipId + 1) & 0xffff; }

    /**
     * Where a guest's destination really is: the gateway's address stands for the host's loopback, the DNS
     * forwarder's port 53 for the host's resolver; null for what cannot be reached (other addresses of the
     * virtual network, broadcast, multicast, this host's own 0/8 and 127/8 given literally).
     */
    java.net.InetSocketAddress hostAddress(int dst, int port) {
        try {
            if (dst == config.host()) return new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port);
            if (dst == config.dns()) return port == 53 ? new java.net.InetSocketAddress(udp.resolver(), 53) : null;
            if (config.inNetwork(dst) || (dst >>> 28) >= 0xe || (dst >>> 24) == 0 || (dst >>> 24) == 127) return null;
            return new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(Packets.ipBytes(dst)), port);
        } catch (IOException e) {
            return null;
        }
    }

    /** True for the virtual hosts' own addresses. */
    boolean isVirtualHost(int ip) { return ip == config.host() || ip == config.dns(); }

    void toGuest(byte[] frame) {
        if (link.deliver(frame)) counters.toGuest.incrementAndGet();
        else counters.droppedToGuest.incrementAndGet();
    }

    /** Sends a UDP datagram to the guest. */
    void udpToGuest(int src, int srcPort, int dst, int dstPort, byte[] data, int offset, int length) {
        if (Packets.IP_HEADER + Packets.UDP_HEADER + length > 1500) { counters.droppedToGuest.incrementAndGet(); return; }
        toGuest(Packets.udpFrame(guestMac(dst), sourceMac(src), src, srcPort, dst, dstPort, data, offset, length, nextIpId()));
    }

    /** Sends a UDP datagram to the guest at a given MAC (DHCP replies, before the guest has an address). */
    void udpToGuestMac(byte[] mac, int src, int srcPort, int dst, int dstPort, byte[] data) {
        toGuest(Packets.udpFrame(mac, sourceMac(src), src, srcPort, dst, dstPort, data, 0, data.length, nextIpId()));
    }

    // ---- ARP ----

    private void arp(byte[] f) {
        int a = Packets.ETH_HEADER;
        if (f.length < a + 28 || Packets.u16(f, a) != 1 || Packets.u16(f, a + 2) != Packets.ETHERTYPE_IPV4
                || f[a + 4] != 6 || f[a + 5] != 4) { counters.malformed.incrementAndGet(); return; }
        int op = Packets.u16(f, a + 6);
        byte[] senderMac = java.util.Arrays.copyOfRange(f, a + 8, a + 14);
        int senderIp = Packets.u32(f, a + 14);
        int targetIp = Packets.u32(f, a + 24);
        if (senderIp != 0 && config.inNetwork(senderIp) && !isVirtualHost(senderIp)) learn(senderIp, senderMac);
        if (op != 1) return;
        if (!isVirtualHost(targetIp)) return;
        byte[] r = new byte[60];
        System.arraycopy(senderMac, 0, r, 0, 6);
        byte[] mine = virtualMac(targetIp);
        System.arraycopy(mine, 0, r, 6, 6);
        Packets.put16(r, 12, Packets.ETHERTYPE_ARP);
        Packets.put16(r, a, 1);
        Packets.put16(r, a + 2, Packets.ETHERTYPE_IPV4);
        r[a + 4] = 6;
        r[a + 5] = 4;
        Packets.put16(r, a + 6, 2);
        System.arraycopy(mine, 0, r, a + 8, 6);
        Packets.put32(r, a + 14, targetIp);
        System.arraycopy(senderMac, 0, r, a + 18, 6);
        Packets.put32(r, a + 24, senderIp);
        toGuest(r);
    }

    private void learn(int ip, byte[] mac) {
        if ((mac[0] & 1) != 0) return; // a multicast source is no guest's address
        guestMacs.put(ip, mac);
        lastGuestMac = mac;
    }

    // ---- IPv4 ----

    private void ipv4(byte[] f) {
        int ip = Packets.ETH_HEADER;
        if (f.length < ip + Packets.IP_HEADER) { counters.malformed.incrementAndGet(); return; }
        int vihl = f[ip] & 0xff;
        int ihl = (vihl & 15) * 4;
        int total = Packets.u16(f, ip + 2);
        if (vihl >>> 4 != 4 || ihl < Packets.IP_HEADER || total < ihl || ip + total > f.length
                || Packets.checksum(f, ip, ihl) != 0) { counters.malformed.incrementAndGet(); return; }
        int fragment = Packets.u16(f, ip + 6);
        if ((fragment & 0x3fff) != 0) { counters.unsupported.incrementAndGet(); return; } // fragments
        int protocol = f[ip + 9] & 0xff;
        int src = Packets.u32(f, ip + 12), dst = Packets.u32(f, ip + 16);
        byte[] srcMac = java.util.Arrays.copyOfRange(f, 6, 12);
        if (src != 0 && config.inNetwork(src) && !isVirtualHost(src)) learn(src, srcMac);
        int p = ip + ihl, length = total - ihl;
        switch (protocol) {
            case Packets.PROTO_ICMP -> icmp(f, p, length, src, dst);
            case Packets.PROTO_UDP -> udp(f, p, length, src, dst, srcMac);
            case Packets.PROTO_TCP -> tcp.segment(f, p, length, src, dst);
            default -> counters.unsupported.incrementAndGet();
        }
    }

    private void icmp(byte[] f, int p, int length, int src, int dst) {
        if (length < 8 || Packets.checksum(f, p, length) != 0) { counters.malformed.incrementAndGet(); return; }
        int type = f[p] & 0xff;
        if (type != 8 || !isVirtualHost(dst)) { counters.unsupported.incrementAndGet(); return; }
        byte[] r = Packets.ipFrame(guestMac(src), sourceMac(dst), dst, src, Packets.PROTO_ICMP, length, nextIpId());
        int q = Packets.payloadOffset();
        System.arraycopy(f, p, r, q, length);
        r[q] = 0; // echo reply
        r[q + 2] = 0;
        r[q + 3] = 0;
        Packets.put16(r, q + 2, Packets.checksum(r, q, length));
        toGuest(r);
    }

    private void udp(byte[] f, int p, int length, int src, int dst, byte[] srcMac) {
        if (length < Packets.UDP_HEADER) { counters.malformed.incrementAndGet(); return; }
        int udpLength = Packets.u16(f, p + 4);
        if (udpLength < Packets.UDP_HEADER || udpLength > length
                || Packets.u16(f, p + 6) != 0 && !Packets.transportChecksumOk(f, p, udpLength, src, dst, Packets.PROTO_UDP)) {
            counters.malformed.incrementAndGet();
            return;
        }
        int srcPort = Packets.u16(f, p), dstPort = Packets.u16(f, p + 2);
        int data = p + Packets.UDP_HEADER, dataLength = udpLength - Packets.UDP_HEADER;
        if (dstPort == Dhcp.SERVER_PORT && (dst == -1 || dst == config.host())) {
            dhcp.handle(f, data, dataLength, srcMac);
            return;
        }
        if (dst == config.host() && tftp.handle(f, data, dataLength, src, srcPort, dstPort)) return;
        if (config.restricted()) { counters.refused.incrementAndGet(); return; }
        if (dst == -1 || (dst >>> 28) == 0xe || config.inNetwork(dst) && !isVirtualHost(dst)) {
            counters.unsupported.incrementAndGet();
            return;
        }
        udp.send(src, srcPort, dst, dstPort, f, data, dataLength);
    }
}
