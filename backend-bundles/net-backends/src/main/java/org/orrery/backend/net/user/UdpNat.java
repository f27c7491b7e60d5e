package org.orrery.backend.net.user;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The guest's UDP to the world through host sockets: each (guest port, destination) flow gets a datagram
 * socket of its own, connected to the destination (the gateway's address stands for the host's loopback,
 * the DNS forwarder's for the host's first resolver), and replies come back to the guest from the address
 * it wrote to. Flows idle for a minute are closed. {@code hostfwd=udp:...} rules listen on host ports and
 * pass datagrams to a guest port.
 */
final class UdpNat {
    static final long IDLE_MS = 60_000;
    static final int MAX_FLOWS = 512;
    static final int MAX_PAYLOAD = 1500 - Packets.IP_HEADER - Packets.UDP_HEADER;

    private final UserNetwork net;
    private final Map<FlowKey, Flow> flows = new HashMap<>();
    private final List<Forward> forwards = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private InetAddress resolver;

    UdpNat(UserNetwork net) { this.net = net; }

    private record FlowKey(int guest, int guestPort, int remote, int remotePort) { }

    private final class Flow implements UserNetwork.Channel {
        final FlowKey key;
        final int guest, guestPort, remote, remotePort;
        final DatagramChannel channel;
        long lastUsed;

        Flow(FlowKey key, int guest, int guestPort, int remote, int remotePort, DatagramChannel channel) {
            this.key = key;
            this.guest = guest;
            this.guestPort = guestPort;
            this.remote = remote;
            this.remotePort = remotePort;
            this.channel = channel;
        }

        @Override public void ready(SelectionKey k) throws IOException {
            if (relay(channel, remote, remotePort, guest, guestPort) != null) lastUsed = System.nanoTime() / 1_000_000;
        }

        @Override public void close() {
            flows.remove(key);
            closeQuietly(channel);
        }
    }

    /** A {@code hostfwd=udp:...} rule: a host socket whose datagrams go to a guest port. */
    private final class Forward implements UserNetwork.Channel {
        final DatagramChannel channel;
        final int guest, guestPort;
        final int sourcePort;
        SocketAddress lastPeer;

        Forward(DatagramChannel channel, int guest, int guestPort, int sourcePort) {
            this.channel = channel;
            this.guest = guest;
            this.guestPort = guestPort;
            this.sourcePort = sourcePort;
        }

        @Override public void ready(SelectionKey k) throws IOException {
            SocketAddress peer = relay(channel, net.config.host(), sourcePort, guest, guestPort);
            if (peer != null) lastPeer = peer;
        }

        @Override public void close() { closeQuietly(channel); }
    }

    /**
     * Passes every datagram waiting on {@code channel} to the guest, as sent from {@code src:srcPort}; returns
     * the host peer of the last one, or null when there was none. Datagrams too big for one frame are dropped.
     */
    private SocketAddress relay(DatagramChannel channel, int src, int srcPort, int guest, int guestPort) throws IOException {
        SocketAddress last = null;
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            SocketAddress from = channel.receive(buffer);
            if (from == null) break;
            last = from;
            if (buffer.position() > MAX_PAYLOAD) net.counters.droppedToGuest.incrementAndGet();
            else net.udpToGuest(src, srcPort, guest, guestPort, buffer.array(), 0, buffer.position());
        }
        return last;
    }

    private static void closeQuietly(DatagramChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a datagram socket loses nothing
        }
    }

    void listen(List<UserConfig.HostForward> rules) throws IOException {
        int port = 40000;
        for (UserConfig.HostForward r : rules) {
            if (!r.udp()) continue;
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.bind(new InetSocketAddress(r.hostAddress().isEmpty() ? "0.0.0.0" : r.hostAddress(), r.hostPort()));
                ch.configureBlocking(false);
            } catch (IOException e) {
                ch.close();
                throw new IOException("Could not set up host forwarding rule '" + r.rule() + "': " + e.getMessage(), e);
            }
            Forward f = new Forward(ch, r.guestAddress(), r.guestPort(), port++);
            ch.register(net.selector, SelectionKey.OP_READ, f);
            forwards.add(f);
        }
    }

    /** A guest datagram for the outside. */
    void send(int guest, int guestPort, int dst, int dstPort, byte[] f, int offset, int length) {
        for (Forward fw : forwards)
            if (fw.guest == guest && fw.guestPort == guestPort && fw.sourcePort == dstPort && dst == net.config.host() && fw.lastPeer != null) {
                try {
                    fw.channel.send(ByteBuffer.wrap(f, offset, length), fw.lastPeer);
                } catch (IOException e) {
                    net.counters.refused.incrementAndGet();
                }
                return;
            }
        FlowKey key = new FlowKey(guest, guestPort, dst, dstPort);
        Flow flow = flows.get(key);
        long now = System.nanoTime() / 1_000_000;
        if (flow == null) {
            if (flows.size() >= MAX_FLOWS) { net.counters.refused.incrementAndGet(); return; }
            InetSocketAddress target = net.hostAddress(dst, dstPort);
            if (target == null) { net.counters.refused.incrementAndGet(); return; }
            try {
                DatagramChannel ch = DatagramChannel.open();
                try {
                    ch.configureBlocking(false);
                    ch.connect(target);
                    flow = new Flow(key, guest, guestPort, dst, dstPort, ch);
                    ch.register(net.selector, SelectionKey.OP_READ, flow);
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
            } catch (IOException e) {
                net.counters.refused.incrementAndGet();
                return;
            }
            flows.put(key, flow);
        }
        flow.lastUsed = now;
        try {
            flow.channel.write(ByteBuffer.wrap(f, offset, length));
        } catch (IOException e) {
            net.counters.refused.incrementAndGet(); // an ICMP error came back (port unreachable): the flow stays
        }
    }

    /** The host's first IPv4 name server from /etc/resolv.conf, else its loopback. */
    InetAddress resolver() {
        if (resolver != null) return resolver;
        InetAddress r = InetAddress.getLoopbackAddress();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver") && Packets.parseIp(w[1]) != null) {
                    r = InetAddress.getByAddress(Packets.ipBytes(Packets.parseIp(w[1])));
                    break;
                }
            }
        } catch (IOException e) {
            // no resolv.conf: the loopback it is
        }
        return resolver = r;
    }

    void tick(long now) {
        for (Iterator<Flow> it = flows.values().iterator(); it.hasNext(); ) {
            Flow f = it.next();
            if (now - f.lastUsed > IDLE_MS) {
                it.remove();
                f.close();
            }
        }
    }

    int size() { return flows.size(); }

    void closeAll() {
        for (Flow f : new ArrayList<>(flows.values())) f.close();
        flows.clear();
        for (Forward f : forwards) f.close();
        forwards.clear();
    }
}
