package org.orrery.machine.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A physical address space: a root container region, its flattened view for lookup, and
 * typed accessors used by devices (DMA), loaders and debuggers. CPUs look sections up themselves and
 * cache them; they register a listener to drop those caches when the map changes.
 */
public final class AddressSpace {
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    // guest memory is little-endian (RISC-V), whatever the host's order
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt W = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong D = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final MemoryRegion root;
    private final List<Runnable> topologyListeners = new CopyOnWriteArrayList<>();
    private final CodePages codePages = new CodePages();
    private volatile FlatView view;

    public AddressSpace(String name, MemoryRegion root) {
        this.name = name;
        this.root = root;
        root.setTopologyListener(this::rebuild);
        this.view = FlatView.of(root);
    }

    public String name() { return name; }
    public MemoryRegion root() { return root; }
    public FlatView view() { return view; }

    /** Called after every change of the memory map (for example to flush a CPU's translation caches). */
    public void addTopologyListener(Runnable listener) { topologyListeners.add(listener); }
    public void removeTopologyListener(Runnable listener) { topologyListeners.remove(listener); }

    /**
     * The pages CPUs hold code from. Writes through this address space's accessors ({@link #write},
     * {@link #writeBytes}: DMA, loaders, debuggers) are announced there; CPUs announce their own stores.
     */
    public CodePages codePages() { return codePages; }

    private void written(long address, long length) { codePages.written(address, length, null); }

    private void rebuild() {
        view = FlatView.of(root);
        for (Runnable l : topologyListeners) l.run();
    }

    public Section find(long address) { return view.find(address); }

    /** Reads 1, 2, 4 or 8 bytes, zero-extended. Throws {@link BusError} where nothing is mapped. */
    public long read(long address, int size) {
        Section s = view.find(address);
        if (s == null || !s.contains(address + size - 1)) throw new BusError(address, "read of " + size + " bytes");
        long off = s.regionOffset() + (address - s.start());
        if (s.isMmio()) return s.mmio().read(off, size);
        return load(s.segment(), off, size);
    }

    /** Writes 1, 2, 4 or 8 bytes. Writes to ROM are ignored, as on the bus. */
    public void write(long address, int size, long value) {
        Section s = view.find(address);
        if (s == null || !s.contains(address + size - 1)) throw new BusError(address, "write of " + size + " bytes");
        long off = s.regionOffset() + (address - s.start());
        if (s.isMmio()) s.mmio().write(off, size, value);
        else if (s.isRam()) {
            store(s.segment(), off, size, value);
            written(address, size);
        }
    }

    /** Copies guest memory into {@code dst}; used by DMA, memsave and loaders. */
    public void readBytes(long address, byte[] dst, int dstOffset, int length) {
        int done = 0;
        while (done < length) {
            long a = address + done;
            Section s = view.find(a);
            if (s == null) throw new BusError(a, "read");
            long off = s.regionOffset() + (a - s.start());
            int n = (int) Math.min(length - done, s.end() - a);
            if (n <= 0) n = length - done;
            if (s.isMmio()) {
                for (int i = 0; i < n; i++) dst[dstOffset + done + i] = (byte) s.mmio().read(off + i, 1);
            } else {
                MemorySegment.copy(s.segment(), B, off, dst, dstOffset + done, n);
            }
            done += n;
        }
    }

    /** Copies {@code src} into guest memory; ROM is written too, since loaders fill it this way. */
    public void writeBytes(long address, byte[] src, int srcOffset, int length) {
        int done = 0;
        while (done < length) {
            long a = address + done;
            Section s = view.find(a);
            if (s == null) throw new BusError(a, "write");
            long off = s.regionOffset() + (a - s.start());
            int n = (int) Math.min(length - done, s.end() - a);
            if (n <= 0) n = length - done;
            if (s.isMmio()) {
                for (int i = 0; i < n; i++) s.mmio().write(off + i, 1, src[srcOffset + done + i] & 0xff);
            } else {
                MemorySegment.copy(src, srcOffset + done, s.segment(), B, off, n);
                written(a, n);
            }
            done += n;
        }
    }

    /** Reads 1, 2, 4 or 8 little-endian bytes of {@code seg} at {@code off} (unaligned allowed), zero-extended. */
    public static long load(MemorySegment seg, long off, int size) {
        return switch (size) {
            case 1 -> seg.get(B, off) & 0xffL;
            case 2 -> seg.get(H, off) & 0xffffL;
            case 4 -> seg.get(W, off) & 0xffffffffL;
            case 8 -> seg.get(D, off);
            default -> throw new IllegalArgumentException("access size " + size);
        };
    }

    /** Writes the low 1, 2, 4 or 8 bytes of {@code value} into {@code seg} at {@code off}, little-endian. */
    public static void store(MemorySegment seg, long off, int size, long value) {
        switch (size) {
            case 1 -> seg.set(B, off, (byte) value);
            case 2 -> seg.set(H, off, (short) value);
            case 4 -> seg.set(W, off, (int) value);
            case 8 -> seg.set(D, off, value);
            default -> throw new IllegalArgumentException("access size " + size);
        }
    }
}
