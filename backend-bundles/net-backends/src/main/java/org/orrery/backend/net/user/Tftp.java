package org.orrery.backend.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The read-only TFTP server at the host's address, port 69 (RFC 1350), serving the {@code tftp=} folder, with
 * the option extension (RFC 2347) for {@code blksize} (RFC 2348, at most what fits a 1500-byte frame),
 * {@code tsize} and {@code timeout} (RFC 2349) and {@code windowsize} (RFC 7440), as U-Boot asks for them.
 * Each transfer answers from a port of its own. A lost block is sent again when the client repeats its
 * acknowledgement or after a second of silence; a transfer silent for 30 s is dropped. Names that leave the
 * folder are refused as "File not found"; writes as "Access violation".
 */
final class Tftp {
    static final int PORT = 69;
    static final int RRQ = 1, WRQ = 2, DATA = 3, ACK = 4, ERROR = 5, OACK = 6;
    static final int MAX_BLKSIZE = 1500 - Packets.IP_HEADER - Packets.UDP_HEADER - 4;
    static final int MAX_WINDOW = 64;
    static final long RETRY_MS = 1000, IDLE_MS = 30_000;
    static final int MAX_SESSIONS = 64;
    /** Files up to this size are read whole when a transfer starts, so acknowledgements are answered from memory. */
    static final long CACHE_FILE = 32 << 20;
    /** At most this much held in memory over all transfers; beyond it, blocks are read from the file as they go. */
    static final long CACHE_TOTAL = 64 << 20;

    private final UserNetwork net;
    private final Map<Integer, Session> byServerPort = new HashMap<>();
    private int nextPort = 49152;

    Tftp(UserNetwork net) { this.net = net; }

    /** One read transfer. Blocks are numbered from 1; {@code acked} counts in 32 bits (wire numbers wrap). */
    private final class Session {
        final int client, clientPort, serverPort;
        final FileChannel file;
        final long size;
        final int blksize, window;
        final long lastBlock;
        long acked;           // highest block acknowledged (0: none, or the OACK; -1: OACK not yet acknowledged)
        byte[] oack;
        byte[] cache;          // the whole file, when it was small enough
        long lastActivity, lastSend;
        int retries;

        Session(int client, int clientPort, int serverPort, FileChannel file, long size, int blksize, int window, long now) {
            this.client = client;
            this.clientPort = clientPort;
            this.serverPort = serverPort;
            this.file = file;
            this.size = size;
            this.blksize = blksize;
            this.window = window;
            this.lastBlock = size / blksize + 1;
            this.lastActivity = this.lastSend = now;
        }

        void sendWindow(long now) {
            for (long b = acked + 1; b <= Math.min(acked + window, lastBlock); b++) sendBlock(b);
            lastSend = now;
        }

        void sendBlock(long block) {
            long offset = (block - 1) * blksize;
            int n = (int) Math.max(0, Math.min(blksize, size - offset));
            byte[] d = new byte[4 + n];
            Packets.put16(d, 0, DATA);
            Packets.put16(d, 2, (int) block);
            if (cache != null) {
                System.arraycopy(cache, (int) offset, d, 4, n);
                net.udpToGuest(net.config.host(), serverPort, client, clientPort, d, 0, d.length);
                return;
            }
            try {
                ByteBuffer buf = ByteBuffer.wrap(d, 4, n);
                while (buf.hasRemaining()) {
                    int r = file.read(buf, offset + buf.position() - 4);
                    if (r < 0) break;
                }
            } catch (IOException e) {
                error(client, clientPort, serverPort, 0, "Read error: " + e.getMessage());
                end(this);
                return;
            }
            net.udpToGuest(net.config.host(), serverPort, client, clientPort, d, 0, d.length);
        }
    }

    /** Takes a datagram for port 69 or for a transfer's port; false when it is neither (the NAT takes it). */
    boolean handle(byte[] f, int p, int length, int client, int clientPort, int dstPort) {
        Session s = byServerPort.get(dstPort);
        if (s != null && s.client == client && s.clientPort == clientPort) {
            reply(s, f, p, length);
            return true;
        }
        if (dstPort != PORT) return false;
        if (length < 4) { net.counters.malformed.incrementAndGet(); return true; }
        int op = Packets.u16(f, p);
        if (op == WRQ) { error(client, clientPort, PORT, 2, "Access violation"); return true; }
        if (op != RRQ) { net.counters.unsupported.incrementAndGet(); return true; }
        List<String> fields = new ArrayList<>();
        int start = p + 2, end = p + length;
        for (int i = start; i < end; i++)
            if (f[i] == 0) {
                fields.add(new String(f, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        if (fields.size() < 2) { error(client, clientPort, PORT, 4, "Illegal TFTP operation"); return true; }
        request(client, clientPort, fields);
        return true;
    }

    private void request(int client, int clientPort, List<String> fields) {
        UserConfig c = net.config;
        // a client repeating its request while the first transfer runs gets that transfer
        for (Session s : byServerPort.values()) if (s.client == client && s.clientPort == clientPort) return;
        if (c.tftpRoot() == null) { error(client, clientPort, PORT, 2, "Access violation"); return; }
        if (!fields.get(1).equalsIgnoreCase("octet")) { error(client, clientPort, PORT, 4, "Unsupported transfer mode"); return; }
        Path file = resolve(c.tftpRoot(), fields.get(0));
        if (file == null || !Files.isRegularFile(file) || !Files.isReadable(file)) { error(client, clientPort, PORT, 1, "File not found"); return; }
        if (byServerPort.size() >= MAX_SESSIONS) { error(client, clientPort, PORT, 3, "Too many transfers"); return; }
        int blksize = 512, window = 1;
        Map<String, String> accepted = new java.util.LinkedHashMap<>();
        FileChannel ch;
        long size;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            size = ch.size();
        } catch (IOException e) {
            error(client, clientPort, PORT, 1, "File not found");
            return;
        }
        for (int i = 2; i + 1 < fields.size(); i += 2) {
            String name = fields.get(i).toLowerCase(java.util.Locale.ROOT), value = fields.get(i + 1);
            long v;
            try {
                v = Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                continue; // an option we cannot read is one we do not accept
            }
            switch (name) {
                case "blksize" -> {
                    if (v < 8) continue;
                    blksize = (int) Math.min(v, MAX_BLKSIZE);
                    accepted.put(name, Integer.toString(blksize));
                }
                case "tsize" -> accepted.put(name, Long.toString(size));
                case "timeout" -> { if (v >= 1 && v <= 255) accepted.put(name, Long.toString(v)); }
                case "windowsize" -> {
                    if (v < 1) continue;
                    window = (int) Math.min(v, MAX_WINDOW);
                    accepted.put(name, Integer.toString(window));
                }
                default -> { }
            }
        }
        int port = freePort();
        long now = System.nanoTime() / 1_000_000;
        Session s = new Session(client, clientPort, port, ch, size, blksize, window, now);
        if (size <= CACHE_FILE && cached() + size <= CACHE_TOTAL) s.cache = readWhole(ch, size);
        byServerPort.put(port, s);
        if (accepted.isEmpty()) {
            s.sendWindow(now);
            return;
        }
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.write(0);
        o.write(OACK);
        for (Map.Entry<String, String> e : accepted.entrySet()) {
            o.writeBytes(e.getKey().getBytes(StandardCharsets.US_ASCII));
            o.write(0);
            o.writeBytes(e.getValue().getBytes(StandardCharsets.US_ASCII));
            o.write(0);
        }
        s.oack = o.toByteArray();
        s.acked = -1;
        sendOack(s, now);
    }

    private void sendOack(Session s, long now) {
        net.udpToGuest(net.config.host(), s.serverPort, s.client, s.clientPort, s.oack, 0, s.oack.length);
        s.lastSend = now;
    }

    private void reply(Session s, byte[] f, int p, int length) {
        if (length < 4) { net.counters.malformed.incrementAndGet(); return; }
        int op = Packets.u16(f, p);
        long now = System.nanoTime() / 1_000_000;
        if (op == ERROR) { end(s); return; }
        if (op != ACK) { net.counters.unsupported.incrementAndGet(); return; }
        int wire = Packets.u16(f, p + 2);
        if (s.acked < 0) {
            if (wire != 0) return;
            s.acked = 0;
        } else {
            // block numbers wrap at 16 bits: the acknowledgement is read relative to the last one
            int delta = (wire - (int) (s.acked & 0xffff)) & 0xffff;
            if (delta > s.window) return; // an old duplicate, or a block never sent
            s.acked += delta;
        }
        s.lastActivity = now;
        s.retries = 0;
        if (s.acked >= s.lastBlock) { end(s); return; }
        s.sendWindow(now);
    }

    void tick(long now) {
        for (Iterator<Session> it = byServerPort.values().iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (now - s.lastActivity > IDLE_MS || s.retries > 5) {
                it.remove();
                close(s);
            } else if (now - s.lastSend > RETRY_MS) {
                s.retries++;
                if (s.acked >= 0) s.sendWindow(now);
                else sendOack(s, now);
            }
        }
    }

    /** True when the transfer on {@code port} is answered from memory (no host I/O). */
    boolean servesFromMemory(int port) {
        Session s = byServerPort.get(port);
        return s != null && s.cache != null;
    }

    private long cached() {
        long n = 0;
        for (Session s : byServerPort.values()) if (s.cache != null) n += s.cache.length;
        return n;
    }

    /** The whole file, or null when it cannot be read at once (then it is read block by block). */
    private static byte[] readWhole(FileChannel ch, long size) {
        byte[] b = new byte[(int) size];
        ByteBuffer buf = ByteBuffer.wrap(b);
        try {
            while (buf.hasRemaining()) if (ch.read(buf, buf.position()) < 0) return null;
            return b;
        } catch (IOException e) {
            return null;
        }
    }

    void closeAll() {
        for (Session s : byServerPort.values()) close(s);
        byServerPort.clear();
    }

    int size() { return byServerPort.size(); }

    private void end(Session s) {
        byServerPort.remove(s.serverPort);
        close(s);
    }

    private static void close(Session s) {
        try {
            s.file.close();
        } catch (IOException ignored) {
            // a read-only file: nothing to lose
        }
    }

    private int freePort() {
        for (int i = 0; i < 16384; i++) {
            int p = nextPort;
            nextPort = nextPort == 65535 ? 49152 : nextPort + 1;
            if (!byServerPort.containsKey(p)) return p;
        }
        throw new IllegalStateException("no free TFTP port");
    }

    /** The file a request names, inside {@code root}; null when the name leaves it. */
    static Path resolve(Path root, String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) return null;
        String relative = name;
        while (relative.startsWith("/")) relative = relative.substring(1);
        for (String part : relative.split("/")) if (part.equals("..")) return null;
        try {
            Path p = root.resolve(relative).normalize();
            return p.startsWith(root) ? p : null;
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private void error(int client, int clientPort, int fromPort, int code, String message) {
        byte[] m = message.getBytes(StandardCharsets.US_ASCII);
        byte[] d = new byte[5 + m.length];
        Packets.put16(d, 0, ERROR);
        Packets.put16(d, 2, code);
        System.arraycopy(m, 0, d, 4, m.length);
        net.udpToGuest(net.config.host(), fromPort, client, clientPort, d, 0, d.length);
    }
}
