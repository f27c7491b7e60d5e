package org.orrery.device.virtioinput.internal;

import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;
import org.orrery.device.support.StateFields;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.InputReceiver;
import org.orrery.machine.memory.BusError;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.BitSet;

/**
 * virtio-input (virtio 1.2, section 5.8): the device describes itself through its configuration space (name, ids,
 * which event types and codes it sends, the ranges of its absolute axes) and passes Linux input events (type,
 * code, value) into the buffers the driver leaves in the event queue. It receives them from the console layer as
 * an {@link InputReceiver}. Events wait in a bounded queue while the driver has no buffers (the oldest go first
 * when it overflows, as a keyboard controller drops keys); LED updates on the status queue are taken and ignored.
 */
abstract class VirtioInput extends VirtioDevice implements InputReceiver {
    static final int CFG_ID_NAME = 0x01, CFG_ID_SERIAL = 0x02, CFG_ID_DEVIDS = 0x03, CFG_PROP_BITS = 0x10,
            CFG_EV_BITS = 0x11, CFG_ABS_INFO = 0x12;
    static final int EV_SYN = 0, EV_KEY = 1, EV_REL = 2, EV_ABS = 3;
    static final int CONFIG_SIZE = 8 + 128;
    /** Events kept while the driver has no buffers for them. */
    static final int MAX_PENDING = 1024;

    private final ArrayDeque<long[]> pending = new ArrayDeque<>();
    int select, subsel;

    /**
     * The state every virtio-input device has: its queues, the configuration selectors and the events waiting for
     * buffers (8 bytes each, as the guest will receive them: type, code, value).
     */
    static <T extends VirtioInput> StateDescription.Builder<T> inputState(String typeName, Class<T> deviceClass) {
        return state(typeName, deviceClass, 1)
                .u8("select", d -> d.select, (d, v) -> d.select = (int) v)
                .u8("subsel", d -> d.subsel, (d, v) -> d.subsel = (int) v)
                .field(StateFields.boundedBytes("pending-events", 8 * MAX_PENDING, 8, VirtioInput::pendingBytes, VirtioInput::setPending));
    }

    byte[] pendingBytes() {
        ByteBuffer b = ByteBuffer.allocate(8 * pending.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] ev : pending) b.putShort((short) ev[0]).putShort((short) ev[1]).putInt((int) ev[2]);
        return b.array();
    }

    void setPending(byte[] bytes) {
        pending.clear();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) pending.addLast(new long[] {b.getShort() & 0xffff, b.getShort() & 0xffff, b.getInt()});
    }

    /** The name the guest sees (QEMU's names, so guests' rules match). */
    abstract String inputName();

    /** The product id of the device's ids. */
    abstract int product();

    /** The codes of event type {@code type} this device sends (empty: none). */
    abstract BitSet codes(int type);

    /** For an absolute axis: {min, max}; null for none. */
    int[] absRange(int axis) { return null; }

    @Override public int deviceId() { return 18; }
    @Override public long deviceFeatures() { return 0; }
    @Override public int queueCount() { return 2; }
    @Override public int queueMaxSize(int index) { return 64; }
    @Override public int configSize() { return CONFIG_SIZE; }

    // ---- configuration space ----

    @Override public long readConfig(int offset, int size) {
        byte[] cfg = config();
        long v = 0;
        for (int i = 0; i < size && offset + i < cfg.length; i++) if (offset + i >= 0) v |= (long) (cfg[offset + i] & 0xff) << (8 * i);
        return v;
    }

    @Override public void writeConfig(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            int b = (int) (value >>> (8 * i)) & 0xff;
            if (offset + i == 0) select = b;
            else if (offset + i == 1) subsel = b;
        }
    }

    /** The configuration space for the current select and subsel. */
    private byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) select).put(1, (byte) subsel);
        byte[] data = switch (select) {
            case CFG_ID_NAME -> subsel == 0 ? inputName().getBytes(StandardCharsets.US_ASCII) : new byte[0];
            case CFG_ID_SERIAL -> new byte[0];
            case CFG_ID_DEVIDS -> subsel == 0
                    ? ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x06).putShort((short) 0x0627)
                            .putShort((short) product()).putShort((short) 1).array()
                    : new byte[0];
            case CFG_PROP_BITS -> new byte[0];
            case CFG_EV_BITS -> codes(subsel).toByteArray();
            case CFG_ABS_INFO -> {
                int[] r = absRange(subsel);
                yield r == null ? new byte[0] : ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putInt(r[0]).putInt(r[1]).array();
            }
            default -> new byte[0];
        };
        int n = Math.min(data.length, 128);
        b.put(2, (byte) n);
        b.put(8, data, 0, n);
        return b.array();
    }

    // ---- events ----

    @Override protected void onRealize() {
        super.onRealize();
        Consoles.of(tree()).addReceiver(this);
    }

    @Override protected void onUnrealize() {
        Consoles.of(tree()).removeReceiver(this);
        pending.clear();
        super.onUnrealize();
    }

    @Override protected void deviceReset() { pending.clear(); }

    /** Queues one event for the guest. */
    final void event(int type, int code, int value) {
        if (pending.size() >= MAX_PENDING) pending.removeFirst();
        pending.addLast(new long[] {type, code, value});
    }

    @Override public void sync() {
        event(EV_SYN, 0, 0);
        deliver();
    }

    /** Moves pending events into the driver's buffers, one event a buffer. */
    private void deliver() {
        if (transport() == null || queues().isEmpty()) return;
        Virtqueue q = queue(0);
        if (!q.isReady()) return;
        boolean any = false;
        while (!pending.isEmpty()) {
            Virtqueue.Element e = q.pop();
            if (e == null) break;
            long[] ev = pending.removeFirst();
            byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) ev[0]).putShort((short) ev[1]).putInt((int) ev[2]).array();
            int written;
            try {
                written = e.write(0, bytes, 0, (int) Math.min(8, e.inLength()));
            } catch (BusError b) {
                written = 0;
            }
            q.push(e, written);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }

    @Override protected void queueNotified(Virtqueue q) {
        if (q.index() == 0) {   // new buffers: hand over what waited
            deliver();
            return;
        }
        Virtqueue.Element e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            q.push(e, 0);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }

    int pendingEvents() { return pending.size(); }

    static BitSet bits(int... codes) {
        BitSet b = new BitSet();
        for (int c : codes) b.set(c);
        return b;
    }
}
