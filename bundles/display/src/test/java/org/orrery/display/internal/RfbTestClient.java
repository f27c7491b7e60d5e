package org.orrery.display.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** The client side of RFB 3.8 (RFC 6143), written from the RFC for the tests: handshake, updates, input. */
final class RfbTestClient implements AutoCloseable {
    final SocketChannel channel;
    final DataInputStream in;
    final DataOutputStream out;
    int width, height;
    String name;
    private final Inflater inflater = new Inflater();

    RfbTestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        in = new DataInputStream(Channels.newInputStream(channel));
        out = new DataOutputStream(Channels.newOutputStream(channel));
    }

    /** The version exchange; returns the security types offered. */
    byte[] version() throws IOException {
        byte[] v = new byte[12];
        in.readFully(v);
        if (!new String(v, StandardCharsets.US_ASCII).equals("RFB 003.008\n")) throw new IOException("server version " + new String(v));
        out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        byte[] types = new byte[in.readUnsignedByte()];
        in.readFully(types);
        return types;
    }

    /** Security None and the init messages. */
    void connect() throws IOException {
        byte[] types = version();
        if (types.length != 1 || types[0] != 1) throw new IOException("security types " + java.util.Arrays.toString(types));
        out.write(1);
        if (in.readInt() != 0) throw new IOException("security failed");
        init();
    }

    void init() throws IOException {
        out.write(1);
        width = in.readUnsignedShort();
        height = in.readUnsignedShort();
        in.readFully(new byte[16]);
        byte[] n = new byte[in.readInt()];
        in.readFully(n);
        name = new String(n, StandardCharsets.UTF_8);
    }

    void pixelFormat(int bpp, int depth, boolean bigEndian, int rMax, int gMax, int bMax, int rShift, int gShift, int bShift, boolean trueColour)
            throws IOException {
        out.write(ByteBuffer.allocate(20).put((byte) 0).put(new byte[3]).put((byte) bpp).put((byte) depth).put((byte) (bigEndian ? 1 : 0))
                .put((byte) (trueColour ? 1 : 0)).putShort((short) rMax).putShort((short) gMax).putShort((short) bMax)
                .put((byte) rShift).put((byte) gShift).put((byte) bShift).put(new byte[3]).array());
    }

    void encodings(int... encodings) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * encodings.length).put((byte) 2).put((byte) 0).putShort((short) encodings.length);
        for (int e : encodings) b.putInt(e);
        out.write(b.array());
    }

    void request(boolean incremental, int x, int y, int w, int h) throws IOException {
        out.write(ByteBuffer.allocate(10).put((byte) 3).put((byte) (incremental ? 1 : 0)).putShort((short) x).putShort((short) y)
                .putShort((short) w).putShort((short) h).array());
    }

    void key(int keysym, boolean down) throws IOException {
        out.write(ByteBuffer.allocate(8).put((byte) 4).put((byte) (down ? 1 : 0)).putShort((short) 0).putInt(keysym).array());
    }

    void pointer(int mask, int x, int y) throws IOException {
        out.write(ByteBuffer.allocate(6).put((byte) 5).put((byte) mask).putShort((short) x).putShort((short) y).array());
    }

    /** One rectangle of an update: where, its encoding, and its pixel bytes (inflated for Zlib). */
    record Rect(int x, int y, int w, int h, int encoding, byte[] data) { }

    /** Reads one FramebufferUpdate with {@code bytesPerPixel}-byte pixels. */
    java.util.List<Rect> update(int bytesPerPixel) throws IOException {
        int type = in.readUnsignedByte();
        if (type != 0) throw new IOException("message type " + type);
        in.readUnsignedByte();
        int n = in.readUnsignedShort();
        java.util.List<Rect> rects = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int x = in.readUnsignedShort(), y = in.readUnsignedShort(), w = in.readUnsignedShort(), h = in.readUnsignedShort();
            int enc = in.readInt();
            byte[] data = new byte[enc == -223 ? 0 : w * h * bytesPerPixel];
            if (enc == 0) in.readFully(data);
            else if (enc == 6) {
                byte[] z = new byte[in.readInt()];
                in.readFully(z);
                inflater.setInput(z);
                try {
                    int got = 0;
                    while (got < data.length) {
                        int k = inflater.inflate(data, got, data.length - got);
                        if (k == 0) throw new IOException("zlib data ends after " + got + " of " + data.length + " bytes");
                        got += k;
                    }
                } catch (DataFormatException e) {
                    throw new IOException(e);
                }
            }
            rects.add(new Rect(x, y, w, h, enc, data));
        }
        return rects;
    }

    /** True when the server closed the connection (read end of stream) within the socket's patience. */
    boolean closedByServer() {
        try {
            while (true) if (in.read() < 0) return true;
        } catch (IOException e) {
            return true;
        }
    }

    @Override public void close() throws IOException {
        channel.close();
        inflater.end();
    }
}
