package org.orrery.backend.net.user;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The guest's TCP, carried over host sockets. For each guest connection this plays the peer's half of TCP
 * (RFC 9293) towards the guest and relays the byte stream to a host socket: the guest's SYN opens a host
 * connection (the gateway's address means the host's loopback), and only once that succeeds does the guest
 * get its SYN-ACK (a refusal becomes a RST, as a real host would answer). {@code hostfwd} rules listen on host
 * ports; an accepted connection opens one into the guest from the gateway's address.
 *
 * <p>Towards the guest: no window scaling, the guest's window and MSS respected, unacknowledged data kept
 * and sent again after a silence (the frames to the guest are not supposed to be lost, but a guest resetting
 * its NIC loses them). Towards the host: at most {@link #BUFFER} bytes held each way, so a slow side slows
 * the other through the TCP window, and the host socket is read only while the queue to the guest has room.
 */
final class TcpNat {
    static final int BUFFER = 256 * 1024;
    static final int MAX_CONNECTIONS = 1024;
    static final int FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;
    static final long RETRANSMIT_MS = 500;
    static final int MAX_RETRIES = 12;
    static final int OUR_MSS = 1460;

    enum State { CONNECTING, SYN_RECEIVED, SYN_SENT, ESTABLISHED }

    private final UserNetwork net;
    private final Map<Key, Conn> conns = new HashMap<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<Conn> paused = new ArrayList<>();
    /** Connections holding back an acknowledgement of the guest's data until the network thread's next turn. */
    private final List<Conn> ackLater = new ArrayList<>();
    private int nextPort = 1024;

    TcpNat(UserNetwork net) { this.net = net; }

    record Key(int guest, int guestPort, int remote, int remotePort) { }

    // ---- hostfwd ----

    private final class Listener implements UserNetwork.Channel {
        final ServerSocketChannel server;
        final int guest, guestPort;

        Listener(ServerSocketChannel server, int guest, int guestPort) {
            this.server = server;
            this.guest = guest;
            this.guestPort = guestPort;
        }

        @Override public void ready(SelectionKey k) throws IOException {
            SocketChannel ch = server.accept();
            if (ch == null) return;
            if (conns.size() >= MAX_CONNECTIONS || !net.knowsGuest(guest)) {
                net.counters.refused.incrementAndGet();
                ch.close();
                return;
            }
            ch.configureBlocking(false);
            ch.socket().setTcpNoDelay(true);
            Key key = new Key(guest, guestPort, net.config.host(), freePort());
            Conn c = new Conn(key, ch);
            conns.put(key, c);
            c.state = State.SYN_SENT;
            c.iss = ThreadLocalRandom.current().nextInt();
            c.sndUna = c.iss;
            c.key = ch.register(net.selector, 0, c);
            c.sendSyn();
        }

        @Override public void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // a listening socket holds no data
            }
        }
    }

    void listen(List<UserConfig.HostForward> rules) throws IOException {
        for (UserConfig.HostForward r : rules) {
            if (r.udp()) continue;
            ServerSocketChannel s = ServerSocketChannel.open();
            try {
                s.socket().setReuseAddress(true);
                s.bind(new InetSocketAddress(r.hostAddress().isEmpty() ? "0.0.0.0" : r.hostAddress(), r.hostPort()));
                s.configureBlocking(false);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw new IOException("Could not set up host forwarding rule '" + r.rule() + "': " + e.getMessage(), e);
            }
            Listener l = new Listener(s, r.guestAddress(), r.guestPort());
            listeners.add(l);
            s.register(net.selector, SelectionKey.OP_ACCEPT, l);
        }
    }

    /** The host ports the hostfwd rules listen on (the real ones, when a rule asked for port 0). */
    List<Integer> listeningPorts() {
        List<Integer> out = new ArrayList<>();
        for (Listener l : listeners) out.add(l.server.socket().getLocalPort());
        return out;
    }

    private int freePort() {
        for (int i = 0; i < 64512; i++) {
            int p = nextPort;
            nextPort = nextPort >= 65535 ? 1024 : nextPort + 1;
            boolean used = false;
            for (Key k : conns.keySet()) if (k.remotePort() == p && k.remote() == net.config.host()) { used = true; break; }
            if (!used) return p;
        }
        return 1024;
    }

    // ---- one connection ----

    private final class Conn implements UserNetwork.Channel {
        final Key id;
        final SocketChannel channel;
        SelectionKey key;
        State state = State.CONNECTING;
        int iss, sndUna, rcvNxt;
        int guestWindow = 65535, mss = 536;
        /** Bytes from the host, from sequence number sndUna on; the first {@code sent} of them were sent. */
        byte[] out = new byte[16384];
        int outLength, sent;
        /** Bytes from the guest not yet written to the host. */
        byte[] in = new byte[16384];
        int inLength;
        boolean hostEof, finSent, finAcked, guestFin, outputShut, closed;
        long lastProgress = System.nanoTime() / 1_000_000;
        int retries;
        /** Full-sized guest segments received and not acknowledged yet (at most one: the second is acked at once). */
        int unacknowledgedSegments;
        /** Set by every segment to the guest that carries an acknowledgement. */
        boolean ackSent;

        Conn(Key id, SocketChannel channel) {
            this.id = id;
            this.channel = channel;
        }

        int window() { return Math.min(65535, BUFFER - inLength); }

        void segment(int flags, int seq, byte[] data, int offset, int length, boolean mssOption) {
            int options = mssOption ? 4 : 0;
            int tcpLength = 20 + options + length;
            byte[] f = Packets.ipFrame(net.guestMac(id.guest()), net.sourceMac(id.remote()), id.remote(), id.guest(),
                    Packets.PROTO_TCP, tcpLength, net.nextIpId());
            int t = Packets.payloadOffset();
            Packets.put16(f, t, id.remotePort());
            Packets.put16(f, t + 2, id.guestPort());
            Packets.put32(f, t + 4, seq);
            Packets.put32(f, t + 8, (flags & ACK) != 0 ? rcvNxt : 0);
            f[t + 12] = (byte) ((20 + options) / 4 << 4);
            f[t + 13] = (byte) flags;
            Packets.put16(f, t + 14, window());
            if (mssOption) {
                f[t + 20] = 2;
                f[t + 21] = 4;
                Packets.put16(f, t + 22, OUR_MSS);
            }
            if (length > 0) System.arraycopy(data, offset, f, t + 20 + options, length);
            Packets.put16(f, t + 16, ~Packets.sum(f, t, tcpLength, Packets.pseudoSum(id.remote(), id.guest(), Packets.PROTO_TCP, tcpLength)) & 0xffff);
            if ((flags & ACK) != 0) {
                unacknowledgedSegments = 0; // this segment acknowledges everything received
                ackSent = true;
            }
            net.toGuest(f);
        }

        void sendSyn() { segment(SYN, iss, null, 0, 0, true); }

        void sendSynAck() { segment(SYN | ACK, iss, null, 0, 0, true); }

        void sendAck() { segment(ACK, sndUna + sent + (finSent ? 1 : 0), null, 0, 0, false); }

        /** Sends what the guest's window allows, then FIN once the host has closed and everything is out. */
        void push() {
            if (state != State.ESTABLISHED) return;
            while (sent < outLength && sent < guestWindow) {
                int n = Math.min(Math.min(mss, outLength - sent), guestWindow - sent);
                segment(ACK | PSH, sndUna + sent, out, sent, n, false);
                sent += n;
            }
            if (hostEof && !finSent && sent == outLength) {
                segment(FIN | ACK, sndUna + sent, null, 0, 0, false);
                finSent = true;
            }
            updateInterest();
        }

        /** Reads the host socket only while there is room here and in the queue to the guest. */
        void updateInterest() {
            if (key == null || !key.isValid() || state != State.ESTABLISHED) return;
            int ops = 0;
            boolean wantRead = !hostEof && outLength < BUFFER && outLength - sent < 65536;
            if (wantRead && net.link.hasRoom()) ops |= SelectionKey.OP_READ;
            else if (wantRead && !paused.contains(this)) paused.add(this);
            if (inLength > 0) ops |= SelectionKey.OP_WRITE;
            if (key.interestOps() != ops) key.interestOps(ops);
        }

        @Override public void ready(SelectionKey k) throws IOException {
            if (k.isConnectable()) {
                try {
                    channel.finishConnect();
                } catch (IOException e) {
                    reset();
                    return;
                }
                state = State.SYN_RECEIVED;
                iss = ThreadLocalRandom.current().nextInt();
                sndUna = iss;
                k.interestOps(0);
                sendSynAck();
                lastProgress = now();
                return;
            }
            if (k.isWritable()) flushToHost();
            if (closed) return;
            if (k.isReadable()) readHost();
        }

        void readHost() throws IOException {
            int room = Math.min(BUFFER - outLength, 65536);
            if (room <= 0) { updateInterest(); return; }
            ensure(outLength + room);
            int n = channel.read(ByteBuffer.wrap(out, outLength, room));
            if (n < 0) {
                hostEof = true;
            } else {
                outLength += n;
            }
            push();
            maybeClose();
        }

        void ensure(int capacity) {
            if (out.length < capacity) out = java.util.Arrays.copyOf(out, Math.max(capacity, out.length * 2));
        }

        void flushToHost() throws IOException {
            if (inLength > 0) {
                int wasWindow = window();
                ByteBuffer b = ByteBuffer.wrap(in, 0, inLength);
                channel.write(b);
                int written = b.position();
                System.arraycopy(in, written, in, 0, inLength - written);
                inLength -= written;
                // the window had closed to less than a segment: tell the guest it is open again
                if (written > 0 && wasWindow < mss && window() >= mss) sendAck();
            }
            if (inLength == 0 && guestFin && !outputShut) {
                outputShut = true;
                channel.shutdownOutput();
            }
            updateInterest();
            maybeClose();
        }

        /** A segment from the guest. */
        void fromGuest(int flags, int seq, int ack, int window, int optMss, byte[] f, int data, int dataLength) throws IOException {
            if ((flags & RST) != 0) { close(); return; }
            switch (state) {
                case CONNECTING -> { return; } // a repeated SYN while the host connects
                case SYN_SENT -> {
                    if ((flags & (SYN | ACK)) != (SYN | ACK) || ack != iss + 1) {
                        if ((flags & SYN) == 0) return;
                        reset();
                        return;
                    }
                    rcvNxt = seq + 1;
                    sndUna = iss + 1;
                    guestWindow = window;
                    if (optMss > 0) mss = Math.min(optMss, OUR_MSS);
                    state = State.ESTABLISHED;
                    progress();
                    sendAck();
                    updateInterest();
                    return;
                }
                case SYN_RECEIVED -> {
                    if ((flags & SYN) != 0) { sendSynAck(); return; }
                    if ((flags & ACK) == 0 || ack != iss + 1) return;
                    sndUna = iss + 1;
                    state = State.ESTABLISHED;
                    progress();
                    updateInterest();
                }
                case ESTABLISHED -> {
                    if ((flags & SYN) != 0) { sendAck(); return; }
                }
            }
            if ((flags & ACK) != 0) acknowledged(ack, window);
            boolean needAck = false, fullSegment = false;
            if (dataLength > 0 || (flags & FIN) != 0) {
                int offset = rcvNxt - seq; // bytes of this segment already received
                if (offset < 0 || offset > dataLength) {
                    sendAck(); // out of order, or all old: the guest learns what is expected
                    return;
                }
                int take = Math.min(dataLength - offset, BUFFER - inLength);
                if (take > 0 && !guestFin) {
                    if (in.length < inLength + take) in = java.util.Arrays.copyOf(in, Math.max(inLength + take, in.length * 2));
                    System.arraycopy(f, data + offset, in, inLength, take);
                    inLength += take;
                    rcvNxt += take;
                    if (net.onNetworkThread()) {
                        flushToHost();
                        if (closed) return;
                    } else {
                        updateInterest(); // the network's thread writes it to the host (OP_WRITE)
                        net.selector.wakeup();
                    }
                }
                if ((flags & FIN) != 0 && offset + take == dataLength && !guestFin) {
                    guestFin = true;
                    rcvNxt += 1;
                    flushToHost();
                    if (closed) return;
                }
                needAck = true;
                fullSegment = dataLength >= mss && (flags & FIN) == 0 && take == dataLength - offset;
            }
            ackSent = false;
            push();
            if (needAck && !ackSent) acknowledge(fullSegment); // else data for the guest carried it
            maybeClose();
        }

        /**
         * Acknowledges the guest's data as a receiver should (RFC 9293, 3.8.6.3: at least every second full-sized
         * segment): a short segment (the end of a write) or a second full one is acknowledged at once; a first full
         * one on the network thread's next turn, so a burst of the guest's segments costs it half the ACK frames
         * (each one an interrupt and a pass through its stack) without any ACK waiting for a timer.
         */
        void acknowledge(boolean fullSegment) {
            if (unacknowledgedSegments == 0 && fullSegment) {
                unacknowledgedSegments = 1;
                ackLater.add(this);
                if (!net.onNetworkThread()) net.selector.wakeup();
                return;
            }
            sendAck();
        }

        void acknowledged(int ack, int window) {
            guestWindow = window;
            int acked = ack - sndUna;
            int inFlight = sent + (finSent ? 1 : 0);
            if (acked <= 0 || acked > inFlight) return;
            int bytes = Math.min(acked, sent);
            System.arraycopy(out, bytes, out, 0, outLength - bytes);
            outLength -= bytes;
            sent -= bytes;
            sndUna += acked;
            if (finSent && acked > bytes) finAcked = true;
            progress();
        }

        void progress() {
            lastProgress = now();
            retries = 0;
        }

        void tick(long now) {
            boolean waiting = state == State.SYN_SENT || state == State.SYN_RECEIVED
                    || sent > 0 || finSent && !finAcked;
            if (!waiting || now - lastProgress < RETRANSMIT_MS << Math.min(retries, 4)) return;
            if (++retries > MAX_RETRIES) { reset(); return; }
            net.counters.retransmits.incrementAndGet();
            lastProgress = now;
            switch (state) {
                case SYN_SENT -> sendSyn();
                case SYN_RECEIVED -> sendSynAck();
                case ESTABLISHED -> {
                    // go back to the first unacknowledged byte (go-back-N)
                    sent = 0;
                    finSent = false;
                    push();
                }
                default -> { }
            }
        }

        void maybeClose() {
            if (guestFin && finAcked && inLength == 0) close();
        }

        /** Aborts: a RST to the guest, the host socket closed. */
        void reset() {
            segment(RST | ACK, sndUna + sent, null, 0, 0, false);
            close();
        }

        @Override public void close() {
            if (closed) return;
            closed = true;
            conns.remove(id);
            paused.remove(this);
            ackLater.remove(this);
            try {
                channel.close();
            } catch (IOException ignored) {
                // the connection is gone either way
            }
        }
    }

    private static long now() { return System.nanoTime() / 1_000_000; }

    // ---- segments from the guest ----

    void segment(byte[] f, int p, int length, int src, int dst) {
        if (length < 20 || !Packets.transportChecksumOk(f, p, length, src, dst, Packets.PROTO_TCP)) {
            net.counters.malformed.incrementAndGet();
            return;
        }
        int srcPort = Packets.u16(f, p), dstPort = Packets.u16(f, p + 2);
        int seq = Packets.u32(f, p + 4), ack = Packets.u32(f, p + 8);
        int dataOffset = (f[p + 12] >>> 4 & 15) * 4;
        int flags = f[p + 13] & 0x3f;
        int window = Packets.u16(f, p + 14);
        if (dataOffset < 20 || dataOffset > length) { net.counters.malformed.incrementAndGet(); return; }
        int mssOption = 0;
        for (int o = p + 20; o < p + dataOffset; ) {
            int kind = f[o] & 0xff;
            if (kind == 0) break;
            if (kind == 1) { o++; continue; }
            if (o + 1 >= p + dataOffset) break;
            int len = f[o + 1] & 0xff;
            if (len < 2 || o + len > p + dataOffset) break;
            if (kind == 2 && len == 4) mssOption = Packets.u16(f, o + 2);
            o += len;
        }
        int data = p + dataOffset, dataLength = length - dataOffset;
        Key id = new Key(src, srcPort, dst, dstPort);
        Conn c = conns.get(id);
        if (c == null) {
            if ((flags & RST) != 0) return;
            if ((flags & (SYN | ACK)) == SYN) open(id, seq, window, mssOption);
            else refuse(id, flags, seq, ack, dataLength);
            return;
        }
        try {
            c.fromGuest(flags, seq, ack, window, mssOption, f, data, dataLength);
        } catch (IOException e) {
            c.reset();
        }
    }

    /** A guest's SYN: connect to the host side; the SYN-ACK waits for the outcome. */
    private void open(Key id, int seq, int window, int mssOption) {
        InetSocketAddress target = net.hostAddress(id.remote(), id.remotePort());
        if (net.config.restricted() || target == null || conns.size() >= MAX_CONNECTIONS) {
            net.counters.refused.incrementAndGet();
            refuse(id, SYN, seq, 0, 0);
            return;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.socket().setTcpNoDelay(true);
            Conn c = new Conn(id, ch);
            c.rcvNxt = seq + 1;
            c.guestWindow = window;
            if (mssOption > 0) c.mss = Math.min(mssOption, OUR_MSS);
            boolean done = ch.connect(target);
            c.key = ch.register(net.selector, done ? 0 : SelectionKey.OP_CONNECT, c);
            conns.put(id, c);
            if (done) {
                c.state = State.SYN_RECEIVED;
                c.iss = ThreadLocalRandom.current().nextInt();
                c.sndUna = c.iss;
                c.sendSynAck();
            }
        } catch (IOException | RuntimeException e) {
            if (ch != null) try { ch.close(); } catch (IOException ignored) { /* never opened */ }
            conns.remove(id);
            net.counters.refused.incrementAndGet();
            refuse(id, SYN, seq, 0, 0);
        }
    }

    /** A RST for a segment that belongs to no connection (RFC 9293, 3.10.7.1). */
    private void refuse(Key id, int flags, int seq, int ack, int dataLength) {
        Conn ghost = new Conn(id, null);
        if ((flags & ACK) != 0) {
            ghost.rcvNxt = 0;
            ghost.segment(RST, ack, null, 0, 0, false);
        } else {
            ghost.rcvNxt = seq + dataLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
            ghost.segment(RST | ACK, 0, null, 0, 0, false);
        }
    }

    /** True when a segment with these addresses belongs to an established connection. */
    boolean established(int guest, int guestPort, int remote, int remotePort) {
        Conn c = conns.get(new Key(guest, guestPort, remote, remotePort));
        return c != null && c.state == State.ESTABLISHED && !c.closed;
    }

    // ---- the network thread's housekeeping ----

    /** Connections that stopped reading because the queue to the guest was full read again once it has room. */
    void resume() {
        if (paused.isEmpty() || !net.link.hasRoom()) return;
        List<Conn> again = new ArrayList<>(paused);
        paused.clear();
        for (Conn c : again) if (!c.closed) c.updateInterest();
    }

    /** Sends the acknowledgements held back for the end of this turn (those a data segment carried are gone). */
    void flushAcks() {
        if (ackLater.isEmpty()) return;
        List<Conn> due = new ArrayList<>(ackLater);
        ackLater.clear();
        for (Conn c : due) if (!c.closed && c.unacknowledgedSegments > 0) c.sendAck();
    }

    void tick(long now) {
        for (Conn c : new ArrayList<>(conns.values())) c.tick(now);
    }

    int size() { return conns.size(); }

    void closeAll() {
        for (Conn c : new ArrayList<>(conns.values())) c.close();
        conns.clear();
        for (Listener l : listeners) l.close();
        listeners.clear();
    }
}
