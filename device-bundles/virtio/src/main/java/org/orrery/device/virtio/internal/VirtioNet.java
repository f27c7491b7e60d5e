package org.orrery.device.virtio.internal;

import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.backend.NetBackend;
import org.orrery.machine.backend.NetFrontEnd;
import org.orrery.machine.memory.BusError;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * virtio network device (virtio 1.2, section 5.1): queue 0 receives, queue 1 transmits. Every frame carries
 * the virtio-net header (10 bytes, or 12 once VERSION_1 is negotiated); no offload is offered, so the header
 * is all zeros both ways (num_buffers 1). MAC and STATUS are offered: the configuration space holds the MAC
 * and the link state that {@code set_link} changes. Frames go to and come from the netdev the {@code netdev}
 * property names; without one, or while the link is down, transmitted frames are dropped.
 */
final class VirtioNet extends VirtioDevice implements NetFrontEnd {
    static final String TYPE = "virtio-net-device";
    static final String NETDEV_TYPE = "netdev";

    static final Property<QObject> NETDEV = Property.of("netdev", PropertyTypes.link(NETDEV_TYPE, QObject.class, "/netdevs"))
            .description("the network backend (a netdev id) frames go to and come from");
    static final Property<String> MAC = Property.of("mac", PropertyTypes.STR)
            .description("the MAC address (default 52:54:00:12:34:56, the next free one for each further NIC, as QEMU)");

    static final long F_MAC = 1L << 5, F_STATUS = 1L << 16;
    static final int RX = 0, TX = 1;
    static final int QUEUE_SIZE = 256;
    /** The largest frame accepted from the guest: a 1500-byte MTU plus the Ethernet and VLAN headers, with room. */
    static final int MAX_FRAME = 65535;
    static final int STATUS_LINK_UP = 1;

    private final byte[] mac = new byte[6];
    private NetBackend backend;
    private boolean linkUp = true;

    /** The MAC (a legacy driver may write it) and the link state; the backend hears of the link and may send again. */
    static final StateDescription<VirtioNet> STATE = state(TYPE, VirtioNet.class, 1)
            .buffer("mac", n -> n.mac)
            .bool("link-up", n -> n.linkUp, (n, v) -> n.linkUp = v)
            .afterLoad(VirtioNet::afterLoad)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    private void afterLoad() {
        if (backend == null) return;
        backend.linkChanged(linkUp);
        if (linkUp) backend.frontEndReady();
    }

    @Override protected void onRealize() {
        String m = isSet(MAC) ? get(MAC) : null;
        if (m != null) parseMac(m, mac);
        else defaultMac(tree(), this, mac);
        if (get(NETDEV) instanceof NetBackend b) {
            b.attach(this); // first: a netdev another NIC holds is refused before this one plugs in
            backend = b;
        } else if (get(NETDEV) != null) {
            throw new QomException("'" + get(NETDEV).path() + "' is not a network backend");
        }
        try {
            super.onRealize();
        } catch (RuntimeException e) {
            if (backend != null) backend.detach(this);
            backend = null;
            throw e;
        }
    }

    @Override protected void onUnrealize() {
        if (backend != null) backend.detach(this);
        backend = null;
        super.onUnrealize();
    }

    @Override protected void onLinkCleared(String property) {
        if (property.equals(NETDEV.name())) backend = null;
    }

    /** The netdev's bundle was updated: the NIC attaches to its successor at the same path. */
    @Override protected void onLinkRestored(String property) {
        if (!property.equals(NETDEV.name()) || !isRealized() || !(get(NETDEV) instanceof NetBackend b)) return;
        b.attach(this);
        backend = b;
    }

    /** Parses {@code xx:xx:xx:xx:xx:xx} (QEMU's macaddr property), refusing anything else in QEMU's words. */
    static void parseMac(String text, byte[] out) {
        String[] parts = text.split("[:-]", -1);
        boolean ok = parts.length == 6;
        for (int i = 0; ok && i < 6; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 2) { ok = false; break; }
            try {
                out[i] = (byte) Integer.parseInt(parts[i], 16);
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) throw new QomException("Property 'mac' doesn't take value '" + text + "'");
    }

    /** QEMU's scheme: 52:54:00:12:34:56 for the first NIC without a MAC, the next free last byte for the others. */
    private static void defaultMac(ObjectTree tree, VirtioNet self, byte[] out) {
        Set<String> used = new HashSet<>();
        collectMacs(tree.resolve("/machine"), self, used);
        for (int i = 0x56; ; i++) {
            byte[] candidate = {0x52, 0x54, 0x00, 0x12, 0x34, (byte) i};
            if (!used.contains(format(candidate)) || i == 0xff) {
                System.arraycopy(candidate, 0, out, 0, 6);
                return;
            }
        }
    }

    private static void collectMacs(QObject o, VirtioNet self, Set<String> into) {
        if (o == null) return;
        if (o instanceof VirtioNet n && n != self && n.isRealized()) into.add(n.macAddress());
        for (QObject c : o.children().values()) collectMacs(c, self, into);
    }

    static String format(byte[] m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 6; i++) b.append(i == 0 ? "" : ":").append(String.format(Locale.ROOT, "%02x", m[i] & 0xff));
        return b.toString();
    }

    // ---- virtio ----

    @Override public int deviceId() { return 1; }
    @Override public long deviceFeatures() { return F_MAC | F_STATUS; }
    @Override public int queueCount() { return 2; }
    @Override public int queueMaxSize(int index) { return QUEUE_SIZE; }
    @Override public int configSize() { return 8; }

    @Override public long readConfig(int offset, int size) {
        byte[] cfg = new byte[configSize()];
        System.arraycopy(mac, 0, cfg, 0, 6);
        cfg[6] = (byte) (linkUp ? STATUS_LINK_UP : 0);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            int at = offset + i;
            v = (v << 8) | (at >= 0 && at < cfg.length ? cfg[at] & 0xff : 0);
        }
        return v;
    }

    /** The MAC is writable through the configuration space by legacy drivers (virtio 1.2, 5.1.4.2). */
    @Override public void writeConfig(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            if (at >= 0 && at < 6) mac[at] = (byte) (value >>> (8 * i));
        }
    }

    private int headerLength() {
        return (transport().negotiatedFeatures() & F_VERSION_1) != 0 ? 12 : 10;
    }

    @Override protected void queueNotified(Virtqueue q) {
        if (q.index() == TX) transmit(q);
        else if (backend != null) backend.frontEndReady();
    }

    @Override protected void driverReady() {
        if (backend != null) backend.frontEndReady();
    }

    private void transmit(Virtqueue q) {
        Virtqueue.Element e;
        boolean any = false;
        int hdr = headerLength();
        while ((e = q.pop()) != null) {
            long total = e.outLength();
            if (total > hdr && total - hdr <= MAX_FRAME && linkUp && backend != null) {
                byte[] frame = new byte[(int) (total - hdr)];
                try {
                    e.read(hdr, frame, 0, frame.length);
                } catch (BusError x) {
                    transport().needsReset("transmit buffer unreadable");
                    return;
                }
                backend.send(frame, 0, frame.length);
            }
            q.push(e, 0);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }

    // ---- NetFrontEnd ----

    @Override public boolean canReceive() {
        if (transport() == null || !linkUp) return false;
        Virtqueue q = queue(RX);
        return q.isReady() && q.hasAvailable();
    }

    @Override public void receive(byte[] frame, int offset, int length) {
        Virtqueue q = queue(RX);
        Virtqueue.Element e = q.pop();
        if (e == null) return;
        int hdr = headerLength();
        if (e.inLength() < hdr + (long) length) {
            // a buffer too small for the frame: the frame is dropped, the buffer returned empty-handed
            q.complete(e, 0);
            return;
        }
        byte[] header = new byte[hdr];
        if (hdr == 12) header[10] = 1; // num_buffers
        try {
            e.write(0, header, 0, hdr);
            e.write(hdr, frame, offset, length);
        } catch (BusError x) {
            transport().needsReset("receive buffer unwritable");
            return;
        }
        q.complete(e, hdr + length);
    }

    @Override public String nicName() {
        QObject owner = owner();
        return owner.parent() != null && owner.parent().name().startsWith("peripheral-anon")
                ? owner.type().name() + "." + owner.name().replaceAll("\\D", "") : owner.name();
    }

    @Override public String model() { return owner().type().name(); }

    /** The device users named: this one, or the virtio-pci function holding it as its virtio-backend. */
    private QObject owner() {
        QObject p = parent();
        return name().equals("virtio-backend") && p != null && p.parent() != null ? p : this;
    }

    @Override public String macAddress() { return format(mac); }

    @Override public boolean isLinkUp() { return linkUp; }

    @Override public void setLinkUp(boolean up) {
        if (up == linkUp) return;
        linkUp = up;
        if (backend != null) backend.linkChanged(up);
        if (transport() != null) transport().configChanged();
        if (up && backend != null) backend.frontEndReady();
    }
}
