package org.orrery.display.internal;

import org.orrery.machine.display.InputReceiver;
import org.orrery.machine.display.Surface;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.Deflater;

/**
 * One RFB connection (RFC 6143): the handshake (versions 3.3, 3.7 and 3.8; security None, or VNC authentication when
 * the display has password=on), then client messages on a reader thread and framebuffer updates on a writer thread.
 * The writer sends what changed since the last update once the client asked for one, in Raw or Zlib, whichever the
 * client lists first. Anything a client sends that RFB does not allow (a bad version, an unknown message, a colour
 * map, an oversized cut text) ends the connection; it never reaches the machine.
 */
final class VncClient {
    private static final Logger LOG = Logger.getLogger(VncClient.class.getName());
    static final int ENC_RAW = 0, ENC_ZLIB = 6, ENC_DESKTOP_SIZE = -223;
    /** The largest ClientCutText accepted (the text is dropped: there is no clipboard). */
    static final int MAX_CUT_TEXT = 1 << 20;
    static final int SECURITY_NONE = 1, SECURITY_VNC = 2;

    private final VncServer server;
    private final SocketChannel channel;
    private final String peer;
    private final DataInputStream in;
    private final DataOutputStream out;
    private volatile boolean open = true;

    // what the client asked for; guarded by this
    private PixelFormat format = PixelFormat.SERVER;
    private int encoding = ENC_RAW;
    private boolean desktopSize;
    private boolean requested, incremental;
    private boolean resized;
    private int dirtyX0 = Integer.MAX_VALUE, dirtyY0 = Integer.MAX_VALUE, dirtyX1, dirtyY1;
    /** The size the client was last told of. */
    private int clientWidth, clientHeight;
    private int buttons;

    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);

    VncClient(VncServer server, SocketChannel channel) {
        this.server = server;
        this.channel = channel;
        String p;
        try {
            var a = channel.getRemoteAddress();
            p = a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() + ":" + i.getPort() : "unix";
        } catch (IOException e) {
            p = "?";
        }
        this.peer = p;
        this.in = new DataInputStream(new java.io.BufferedInputStream(Channels.newInputStream(channel), 1 << 14));
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
    }

    String peer() { return peer; }

    boolean isUnix() { return peer.equals("unix"); }

    void start() { Thread.ofVirtual().name("vnc-client " + peer).start(this::run); }

    // ---- called by the server (on the drawing thread): never block ----

    synchronized void damaged(int x, int y, int w, int h) {
        dirtyX0 = Math.min(dirtyX0, x);
        dirtyY0 = Math.min(dirtyY0, y);
        dirtyX1 = Math.max(dirtyX1, x + w);
        dirtyY1 = Math.max(dirtyY1, y + h);
        notifyAll();
    }

    synchronized void resized() {
        resized = true;
        notifyAll();
    }

    void close() {
        if (!open) return;
        open = false;
        synchronized (this) { notifyAll(); }
        try { channel.close(); } catch (IOException ignored) { }
        server.gone(this);
    }

    // ---- the reader ----

    private void run() {
        try {
            if (!handshake()) return;
            Thread.ofVirtual().name("vnc-update " + peer).start(this::updates);
            while (open) message();
        } catch (EOFException e) {
            // the client went away
        } catch (IOException e) {
            if (open) LOG.log(Level.FINE, "vnc: " + peer + ": " + e.getMessage());
        } catch (ProtocolError e) {
            LOG.info("vnc: client " + peer + " disconnected: " + e.getMessage());
        } finally {
            close();
            deflaterEnd();
        }
    }

    private void deflaterEnd() {
        synchronized (deflater) { deflater.end(); }
    }

    /** Something the client sent that RFB does not allow. */
    private static final class ProtocolError extends Exception {
        ProtocolError(String message) { super(message, null, false, false); }
    }

    private boolean handshake() throws IOException, ProtocolError {
        send("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        byte[] v = new byte[12];
        in.readFully(v);
        String version = new String(v, StandardCharsets.US_ASCII);
        if (!version.matches("RFB \\d{3}\\.\\d{3}\n")) throw new ProtocolError("not an RFB client (sent " + printable(v) + ")");
        int major = Integer.parseInt(version.substring(4, 7)), minor = Integer.parseInt(version.substring(8, 11));
        if (major != 3 || minor < 3) throw new ProtocolError("RFB version " + major + "." + minor + " is not served");
        int m = minor >= 8 ? 8 : minor >= 7 ? 7 : 3;   // 3.4 .. 3.6 are 3.3, as RFC 6143 asks; 3.889 is 3.8
        int security = server.passwordRequired() ? SECURITY_VNC : SECURITY_NONE;
        if (m == 3) {
            out.writeInt(security);
            out.flush();
        } else {
            send(new byte[] {1, (byte) security});
            int chosen = in.readUnsignedByte();
            if (chosen != security) {
                if (m == 8) failure("security type " + chosen + " is not offered");
                throw new ProtocolError("chose security type " + chosen + ", offered " + security);
            }
        }
        if (security == SECURITY_VNC) {
            byte[] challenge = new byte[16];
            new SecureRandom().nextBytes(challenge);
            send(challenge);
            byte[] answer = new byte[16];
            in.readFully(answer);
            if (!VncAuth.check(server.password(), challenge, answer)) {
                if (m == 8) failure("Authentication failed");
                else { out.writeInt(1); out.flush(); }
                LOG.info("vnc: client " + peer + " failed authentication");
                return false;
            }
            out.writeInt(0);
            out.flush();
        } else if (m == 8) {
            out.writeInt(0);
            out.flush();
        }
        in.readUnsignedByte();                        // ClientInit: shared or not, every client shares here
        Surface s = server.surface();
        byte[] name = server.desktopName().getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            clientWidth = s.width();
            clientHeight = s.height();
        }
        out.writeShort(s.width());
        out.writeShort(s.height());
        out.write(PixelFormat.SERVER.encode());
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        return true;
    }

    private void failure(String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1);
        out.writeInt(r.length);
        out.write(r);
        out.flush();
    }

    private void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    private void message() throws IOException, ProtocolError {
        int type = in.readUnsignedByte();
        switch (type) {
            case 0 -> {                                  // SetPixelFormat
                byte[] b = new byte[19];
                in.readFully(b);
                PixelFormat f = PixelFormat.parse(ByteBuffer.wrap(b, 3, 16).slice());
                if (f == null) throw new ProtocolError("asked for a pixel format that is not 8, 16 or 32-bit true colour");
                synchronized (this) {
                    format = f;
                }
            }
            case 2 -> {                                  // SetEncodings
                in.readUnsignedByte();
                int n = in.readUnsignedShort();
                int chosen = ENC_RAW;
                boolean found = false, size = false;
                for (int i = 0; i < n; i++) {
                    int e = in.readInt();
                    if (e == ENC_DESKTOP_SIZE) size = true;
                    if (!found && (e == ENC_RAW || e == ENC_ZLIB)) { chosen = e; found = true; }
                }
                synchronized (this) {
                    encoding = chosen;
                    desktopSize = size;
                }
            }
            case 3 -> {                                  // FramebufferUpdateRequest
                boolean inc = in.readUnsignedByte() != 0;
                int x = in.readUnsignedShort(), y = in.readUnsignedShort(), w = in.readUnsignedShort(), h = in.readUnsignedShort();
                synchronized (this) {
                    requested = true;
                    incremental = inc;
                    if (!inc) damaged(x, y, w, h);
                    notifyAll();
                }
            }
            case 4 -> {                                  // KeyEvent
                boolean down = in.readUnsignedByte() != 0;
                in.readUnsignedShort();
                int code = Keysyms.code(in.readInt());
                if (code != 0) server.consoles().sendKey(code, down);
            }
            case 5 -> {                                  // PointerEvent
                int mask = in.readUnsignedByte();
                int x = in.readUnsignedShort(), y = in.readUnsignedShort();
                pointer(mask, x, y);
            }
            case 6 -> {                                  // ClientCutText
                in.readFully(new byte[3]);
                long n = Integer.toUnsignedLong(in.readInt());
                if (n > MAX_CUT_TEXT) throw new ProtocolError("cut text of " + n + " bytes");
                in.skipNBytes(n);
            }
            default -> throw new ProtocolError("unknown message type " + type);
        }
    }

    private void pointer(int mask, int x, int y) {
        Surface s = server.surface();
        int ax = (int) ((long) Math.min(x, s.width() - 1) * InputReceiver.ABS_MAX / Math.max(1, s.width() - 1));
        int ay = (int) ((long) Math.min(y, s.height() - 1) * InputReceiver.ABS_MAX / Math.max(1, s.height() - 1));
        int pressed = mask & ~buttons;
        int wheel = ((pressed & 8) != 0 ? 1 : 0) - ((pressed & 16) != 0 ? 1 : 0);   // buttons 4 and 5 are the wheel
        buttons = mask;
        server.consoles().sendPointer(ax, ay, mask & 7, wheel);
    }

    // ---- the writer ----

    private void updates() {
        try {
            while (open) {
                int x0, y0, x1, y1;
                boolean newSize;
                PixelFormat f;
                int enc;
                synchronized (this) {
                    while (open && !(requested && (resized || dirtyX1 > dirtyX0 && dirtyY1 > dirtyY0))) wait();
                    if (!open) return;
                    newSize = resized;
                    x0 = dirtyX0; y0 = dirtyY0; x1 = dirtyX1; y1 = dirtyY1;
                    resized = false;
                    requested = false;
                    dirtyX0 = dirtyY0 = Integer.MAX_VALUE;
                    dirtyX1 = dirtyY1 = 0;
                    f = format;
                    enc = encoding;
                }
                update(newSize, x0, y0, x1, y1, f, enc);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            if (open) LOG.log(Level.FINE, "vnc: " + peer + ": " + e.getMessage());
        } finally {
            close();
        }
    }

    private void update(boolean newSize, int x0, int y0, int x1, int y1, PixelFormat f, int enc) throws IOException {
        Surface s = server.surface();
        boolean tellSize = false;
        synchronized (this) {
            if (newSize && (s.width() != clientWidth || s.height() != clientHeight) && desktopSize) {
                clientWidth = s.width();
                clientHeight = s.height();
                tellSize = true;
            }
        }
        if (newSize) { x0 = 0; y0 = 0; x1 = s.width(); y1 = s.height(); }
        // what the client can be shown: its size, and the surface's
        int w = Math.min(Math.min(x1, s.width()), clientWidth) - x0, h = Math.min(Math.min(y1, s.height()), clientHeight) - y0;
        boolean pixels = w > 0 && h > 0 && x0 >= 0 && y0 >= 0;
        out.writeByte(0);
        out.writeByte(0);
        out.writeShort((tellSize ? 1 : 0) + (pixels ? 1 : 0));
        if (tellSize) rectangle(0, 0, s.width(), s.height(), ENC_DESKTOP_SIZE);
        if (pixels) {
            int[] rgb = new int[w * h];
            s.read(x0, y0, w, h, rgb, 0, w);
            byte[] data = new byte[w * h * f.bytesPerPixel()];
            f.convert(rgb, 0, rgb.length, data, 0);
            rectangle(x0, y0, w, h, enc);
            if (enc == ENC_ZLIB) zlib(data);
            else out.write(data);
        }
        out.flush();
    }

    private void rectangle(int x, int y, int w, int h, int enc) throws IOException {
        out.writeShort(x);
        out.writeShort(y);
        out.writeShort(w);
        out.writeShort(h);
        out.writeInt(enc);
    }

    /** Zlib encoding: one deflate stream for the whole connection, flushed at the end of each rectangle. */
    private void zlib(byte[] data) throws IOException {
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream(data.length / 4 + 64);
        byte[] buf = new byte[1 << 16];
        synchronized (deflater) {   // not this: the drawing thread must never wait for compression
            if (!open) return;
            deflater.setInput(data);
            int n;
            do {
                n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                z.write(buf, 0, n);
            } while (n == buf.length);
        }
        out.writeInt(z.size());
        z.writeTo(out);
    }

    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte c : b) s.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xff));
        return s.toString();
    }
}
