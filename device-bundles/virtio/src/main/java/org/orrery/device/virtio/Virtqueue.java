package org.orrery.device.virtio;

import org.orrery.device.support.StateFields;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.BusError;
import org.orrery.machine.state.StateDescription;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A split virtqueue (virtio 1.2, section 2.7): a descriptor table, the driver's available ring and the
 * device's used ring, all in guest memory. {@link #pop()} takes the next available descriptor chain
 * (following indirect tables), {@link #push} returns it through the used ring, and the transport decides
 * whether to interrupt ({@link #needsNotification()}, honouring VIRTQ_AVAIL_F_NO_INTERRUPT).
 *
 * <p>A malformed chain (loops, out-of-range indices, unmapped addresses) is a guest error: the queue marks
 * the device as needing reset and stops, and nothing is thrown to the host.
 */
public final class Virtqueue {
    static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;

    private final VirtioDevice device;
    private final int index;
    private final int maxSize;
    private int size;
    private boolean ready;
    private long desc, driver, deviceArea;
    private int lastAvail;   // next available-ring index to consume
    private int usedIdx;     // next used-ring index to produce
    private boolean broken;
    /** Chains popped and not yet pushed back, by head, in the order they were taken (an asynchronous device's requests). */
    private final Map<Integer, Element> inFlight = new LinkedHashMap<>();
    /** Heads loaded from a saved state whose chains the device has not taken up again yet. */
    private long[] heldHeads = new long[0];

    /**
     * The queue's configuration and both ring positions, and the heads of the chains in flight: their
     * descriptors are in guest RAM (restored before devices), so the device reads them again and serves them
     * once more after a load ({@link VirtioDevice#resubmit}), as the driver still waits for them.
     */
    static final StateDescription<Virtqueue> STATE = StateDescription.of("virtqueue", Virtqueue.class, 1)
            .u16("size", q -> q.size, (q, v) -> q.size = (int) v)
            .bool("ready", q -> q.ready, (q, v) -> q.ready = v)
            .u64("descriptor-area", q -> q.desc, (q, v) -> q.desc = v)
            .u64("driver-area", q -> q.driver, (q, v) -> q.driver = v)
            .u64("device-area", q -> q.deviceArea, (q, v) -> q.deviceArea = v)
            .u16("last-avail-idx", q -> q.lastAvail, (q, v) -> q.lastAvail = (int) v)
            .u16("used-idx", q -> q.usedIdx, (q, v) -> q.usedIdx = (int) v)
            .bool("broken", q -> q.broken, (q, v) -> q.broken = v)
            .field(StateFields.longList("in-flight-heads", 1 << 15, Virtqueue::inFlightHeads, (q, v) -> {
                q.inFlight.clear();
                q.heldHeads = v;
            }))
            .build();

    private long[] inFlightHeads() {
        long[] out = new long[inFlight.size() + heldHeads.length];
        int i = 0;
        for (int h : inFlight.keySet()) out[i++] = h;
        for (long h : heldHeads) out[i++] = h;
        return out;
    }

    /**
     * The chains a loaded state had in flight, read again from guest memory (they were valid when first taken;
     * the queue counts them as in flight again). Each is returned once.
     */
    List<Element> takeHeldChains() {
        List<Element> out = new ArrayList<>();
        long[] heads = heldHeads;
        heldHeads = new long[0];
        for (long h : heads) {
            Element e = chain((int) h, true);
            if (e == null) break;   // the queue is broken now
            inFlight.put(e.head(), e);
            out.add(e);
        }
        return out;
    }

    Virtqueue(VirtioDevice device, int index, int maxSize) {
        this.device = device;
        this.index = index;
        this.maxSize = maxSize;
        reset();
    }

    /** A guest buffer: {@code length} bytes at {@code address}. */
    public record Buffer(long address, int length) { }

    /** One descriptor chain taken from the available ring. */
    public final class Element {
        private final int head;
        private final List<Buffer> out;
        private final List<Buffer> in;

        Element(int head, List<Buffer> out, List<Buffer> in) { this.head = head; this.out = out; this.in = in; }

        public int head() { return head; }
        /** Driver-written (device-readable) buffers, in order. */
        public List<Buffer> out() { return out; }
        /** Device-writable buffers, in order. */
        public List<Buffer> in() { return in; }

        public long outLength() { long n = 0; for (Buffer b : out) n += b.length(); return n; }
        public long inLength() { long n = 0; for (Buffer b : in) n += b.length(); return n; }

        /** Copies up to {@code dst.length} readable bytes starting {@code offset} bytes into the chain. */
        public int read(long offset, byte[] dst, int dstOffset, int length) { return copy(out, offset, dst, dstOffset, length, false); }

        /** Copies {@code src} into the writable buffers starting {@code offset} bytes into them. */
        public int write(long offset, byte[] src, int srcOffset, int length) { return copy(in, offset, src, srcOffset, length, true); }

        private int copy(List<Buffer> bufs, long offset, byte[] data, int dataOffset, int length, boolean toGuest) {
            AddressSpace as = dma();
            int done = 0;
            long skip = offset;
            for (Buffer b : bufs) {
                if (done >= length) break;
                if (skip >= b.length()) { skip -= b.length(); continue; }
                int n = (int) Math.min(b.length() - skip, length - done);
                if (toGuest) as.writeBytes(b.address() + skip, data, dataOffset + done, n);
                else as.readBytes(b.address() + skip, data, dataOffset + done, n);
                done += n;
                skip = 0;
            }
            return done;
        }
    }

    public int index() { return index; }
    public int maxSize() { return maxSize; }
    public int size() { return size; }
    public boolean isReady() { return ready && !broken; }
    public long descriptorArea() { return desc; }
    public long driverArea() { return driver; }
    public long deviceArea() { return deviceArea; }

    // ---- configured by the transport ----

    public void setSize(int n) { size = n; }
    public void setReady(boolean r) { ready = r; }
    public void setDescriptorArea(long a) { desc = a; }
    public void setDriverArea(long a) { driver = a; }
    public void setDeviceArea(long a) { deviceArea = a; }
    public boolean isBroken() { return broken; }

    /**
     * Lays the queue out as one block at {@code base}, the legacy way (virtio 1.2, 2.7.2): descriptors, then
     * the available ring, then the used ring at the next multiple of {@code align}.
     */
    public void setLegacyLayout(long base, long align) {
        long a = align <= 0 ? 4096 : align;
        desc = base;
        driver = base + 16L * size;
        long availEnd = driver + 6 + 2L * size;
        deviceArea = (availEnd + a - 1) / a * a;
    }

    public void reset() {
        size = maxSize;
        ready = false;
        desc = driver = deviceArea = 0;
        lastAvail = usedIdx = 0;
        broken = false;
        inFlight.clear();
        heldHeads = new long[0];
    }

    private AddressSpace dma() { return device.transport().dma(); }

    private boolean indirectAllowed() { return (device.transport().negotiatedFeatures() & VirtioDevice.F_INDIRECT_DESC) != 0; }

    /** True when the driver has made buffers available that were not popped yet. */
    public boolean hasAvailable() {
        if (!isReady()) return false;
        try {
            return (dma().read(driver + 2, 2) & 0xffff) != lastAvail;
        } catch (BusError e) {
            fail("available ring unreadable at 0x" + Long.toHexString(e.address()));
            return false;
        }
    }

    /** Takes the next available chain, or returns null when there is none (or the queue is broken). */
    public Element pop() {
        if (!hasAvailable()) return null;
        try {
            AddressSpace as = dma();
            int availIdx = (int) as.read(driver + 2, 2);
            if (((availIdx - lastAvail) & 0xffff) > size) return fail("available index moved by more than the queue size");
            int head = (int) as.read(driver + 4 + 2L * (lastAvail % size), 2);
            lastAvail = (lastAvail + 1) & 0xffff;
            Element e = chain(head, indirectAllowed());
            if (e != null) inFlight.put(head, e);
            return e;
        } catch (BusError e) {
            return fail("available ring unreadable at 0x" + Long.toHexString(e.address()));
        }
    }

    /** Reads the descriptor chain starting at {@code head}; null (and the queue broken) when it is malformed. */
    private Element chain(int head, boolean indirectAllowed) {
        try {
            AddressSpace as = dma();
            if (head >= size) return fail("descriptor head " + head + " out of range");
            List<Buffer> out = new ArrayList<>(), in = new ArrayList<>();
            long table = desc;
            int tableSize = size;
            int i = head;
            int seen = 0;
            boolean inIndirect = false;
            while (true) {
                long d = table + 16L * i;
                long addr = as.read(d, 8);
                int len = (int) as.read(d + 8, 4);
                int flags = (int) as.read(d + 12, 2);
                int next = (int) as.read(d + 14, 2);
                if (++seen > tableSize + size) return fail("descriptor chain loops");
                if ((flags & DESC_F_INDIRECT) != 0) {
                    if (inIndirect || !indirectAllowed) return fail("invalid indirect descriptor");
                    if (len % 16 != 0 || len == 0) return fail("indirect table length " + len + " is not a multiple of 16");
                    table = addr;
                    tableSize = len / 16;
                    i = 0;
                    seen = 0;
                    inIndirect = true;
                    continue;
                }
                Buffer b = new Buffer(addr, len);
                if ((flags & DESC_F_WRITE) != 0) in.add(b);
                else if (!in.isEmpty()) return fail("readable descriptor after a writable one");
                else out.add(b);
                if ((flags & DESC_F_NEXT) == 0) break;
                i = next;
                if (i >= tableSize) return fail("next descriptor " + i + " out of range");
            }
            return new Element(head, out, in);
        } catch (BusError e) {
            return fail("descriptor unreadable at 0x" + Long.toHexString(e.address()));
        }
    }

    /** Returns a chain to the driver through the used ring, with {@code written} bytes written into it. */
    public void push(Element e, int written) {
        if (broken) return;
        inFlight.remove(e.head());
        try {
            AddressSpace as = dma();
            long slot = deviceArea + 4 + 8L * (usedIdx % size);
            as.write(slot, 4, e.head());
            as.write(slot + 4, 4, written & 0xffffffffL);
            usedIdx = (usedIdx + 1) & 0xffff;
            as.write(deviceArea + 2, 2, usedIdx); // the index after the element: the driver sees it whole
        } catch (BusError x) {
            fail("used ring unwritable at 0x" + Long.toHexString(x.address()));
        }
    }

    /**
     * Whether the driver wants an interrupt for used buffers (it may suppress them). The used index written
     * before must be visible to the driver's harts before its flags are read, or a driver that re-enables
     * interrupts and then looks at the used index can miss both (virtio 1.2, 2.7.10: a store-load barrier;
     * the host's store buffer reorders exactly these), and sleep until some later event.
     */
    public boolean needsNotification() {
        java.lang.invoke.VarHandle.fullFence();
        try {
            return (dma().read(driver, 2) & AVAIL_F_NO_INTERRUPT) == 0;
        } catch (BusError e) {
            return true;
        }
    }

    /** Pushes and notifies in one step. */
    public void complete(Element e, int written) {
        push(e, written);
        device.transport().notifyUsed(this);
    }

    private Element fail(String why) {
        broken = true;
        device.transport().needsReset("queue " + index + ": " + why);
        return null;
    }
}
