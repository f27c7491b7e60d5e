package org.orrery.backend.net.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * {@code -object filter-dump,id=F,netdev=N,file=PATH[,maxlen=BYTES][,queue=all|rx|tx]}: every frame through
 * netdev N written to a classic pcap file (Ethernet link type, microsecond time stamps) that Wireshark and
 * tcpdump read. "rx" is what the netdev receives (the guest's frames), "tx" what it sends towards the guest,
 * as QEMU counts them. Frames come from the machine thread and the netdev's thread; writes are serialised
 * here and buffered, and the file is complete once the filter (or its netdev's machine) goes.
 */
final class FilterDump extends QObject implements Netdev.FrameTap {
    private static final Logger LOG = Logger.getLogger(FilterDump.class.getName());
    static final Property<String> NETDEV = Property.of("netdev", PropertyTypes.STR).required()
            .description("the id of the netdev whose frames are recorded");
    static final Property<String> FILE = Property.of("file", PropertyTypes.STR).required().description("the pcap file to write");
    static final Property<Long> MAXLEN = Property.of("maxlen", PropertyTypes.UINT32).defaultValue(65536L)
            .description("bytes kept of each frame at most");
    static final Property<String> QUEUE = Property.of("queue", PropertyTypes.enumOf("NetFilterDirection", "all", "rx", "tx"))
            .defaultValue("all").description("which frames: all, rx (from the guest) or tx (to the guest)");

    private OutputStream out;
    private Netdev netdev;
    private boolean failed;

    @Override protected void onRealize() {
        QObject n = tree().resolve("/netdevs/" + get(NETDEV));
        if (!(n instanceof Netdev d)) throw new QomException("Property 'netdev' can't find value '" + get(NETDEV) + "'");
        Path file = Path.of(get(FILE));
        try {
            out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt((int) (long) get(MAXLEN)).putInt(1); // LINKTYPE_ETHERNET
            out.write(h.array());
        } catch (IOException e) {
            throw new QomException("Could not open '" + file + "': " + e.getMessage());
        }
        netdev = d;
        d.addTap(this);
    }

    @Override protected void onUnrealize() { stop(); }

    @Override protected void onFinalize() { stop(); }

    private synchronized void stop() {
        if (netdev != null) netdev.removeTap(this);
        netdev = null;
        if (out == null) return;
        try {
            out.close();
        } catch (IOException e) {
            LOG.warning("filter-dump " + name() + ": " + e.getMessage());
        }
        out = null;
    }

    @Override public synchronized void frame(byte[] f, int offset, int length, boolean toGuest) {
        String q = get(QUEUE);
        if (out == null || failed || q.equals("rx") && toGuest || q.equals("tx") && !toGuest) return;
        long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        int kept = (int) Math.min(length, get(MAXLEN));
        ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(kept).putInt(length);
        try {
            out.write(r.array());
            out.write(f, offset, kept);
        } catch (IOException e) {
            failed = true; // a full disk stops the recording, not the network
            LOG.warning("filter-dump " + name() + ": " + e.getMessage() + "; recording stopped");
        }
    }
}
