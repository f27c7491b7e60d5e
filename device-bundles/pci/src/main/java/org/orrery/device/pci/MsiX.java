package org.orrery.device.pci;

import org.orrery.machine.memory.BusError;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;

/**
 * MSI-X for a PCI function (PCI Local Bus 3.0, 6.8.2), laid out as QEMU's "exclusive BAR": the vector table
 * at offset 0 and the pending-bit array at 0x800 of one 4 KiB memory BAR. A message is a 32-bit write of the
 * entry's data to its address through the function's DMA; a masked vector (by its entry or the function
 * mask) keeps its pending bit until it is unmasked. While MSI-X is disabled the function uses INTx.
 */
public final class MsiX {
    public static final int CAPABILITY_ID = 0x11;
    static final int CONTROL_ENABLE = 0x8000, CONTROL_FUNCTION_MASK = 0x4000;
    static final int ENTRY = 16, PBA_OFFSET = 0x800, BAR_SIZE = 0x1000;

    private final PciDevice device;
    private final int vectors;
    private final int capability;
    final byte[] table;
    final long[] pending;
    private final MemoryRegion region;

    /** Adds the capability and the table; the caller declares {@link #bar()} as 32-bit memory BAR {@code barIndex}. */
    public MsiX(PciDevice device, int vectors, int barIndex) {
        if (vectors < 1 || vectors > 128) throw new IllegalArgumentException("MSI-X vectors must be 1 to 128, got " + vectors);
        this.device = device;
        this.vectors = vectors;
        this.table = new byte[vectors * ENTRY];
        this.pending = new long[(vectors + 63) / 64];
        capability = device.addCapability(CAPABILITY_ID, 12);
        device.setConfig(capability + 2, 2, vectors - 1);
        device.setConfig(capability + 4, 4, barIndex);                 // table at offset 0 of the BAR
        device.setConfig(capability + 8, 4, PBA_OFFSET | barIndex);
        device.setWritable(capability + 2, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        region = MemoryRegion.mmio(device.type().name() + "-msix", BAR_SIZE, new MmioHandler() {
            @Override public long read(long offset, int size) { return MsiX.this.read(offset, size); }

            @Override public void write(long offset, int size, long value) { MsiX.this.write(offset, size, value); }
        });
        device.useMsiX(this);
        reset();
    }

    /** The BAR that holds the table and the pending bits. */
    public PciBar bar() { return new PciBar(PciBar.Kind.MEMORY32, false, region); }

    public int vectors() { return vectors; }

    private int control() { return (int) device.config(capability + 2, 2); }

    /** Whether the guest turned MSI-X on (then INTx is not used). */
    public boolean isEnabled() { return (control() & CONTROL_ENABLE) != 0; }

    private boolean masked(int vector) {
        return (control() & CONTROL_FUNCTION_MASK) != 0 || (table[vector * ENTRY + 12] & 1) != 0;
    }

    /** Signals {@code vector}: sends it, or marks it pending while it is masked. Returns false when MSI-X is off. */
    public boolean notify(int vector) {
        if (!isEnabled() || vector < 0 || vector >= vectors) return false;
        if (masked(vector)) pending[vector / 64] |= 1L << (vector % 64);
        else send(vector);
        return true;
    }

    private void send(int vector) {
        long address = le(vector * ENTRY, 8);
        long data = le(vector * ENTRY + 8, 4);
        try {
            device.dma().write(address, 4, data);
        } catch (BusError e) {
            device.guestLog().guestError("msix" + vector, String.format("MSI-X vector %d writes to 0x%x, where nothing answers", vector, address));
        }
    }

    /** Sends what was pending and is no longer masked. */
    private void deliverPending() {
        if (!isEnabled()) return;
        for (int v = 0; v < vectors; v++) {
            long bit = 1L << (v % 64);
            if ((pending[v / 64] & bit) != 0 && !masked(v)) {
                pending[v / 64] &= ~bit;
                send(v);
            }
        }
    }

    void configWritten(int offset, int size) {
        if (offset < capability + 4 && offset + size > capability + 2) deliverPending();
    }

    /** Back to power-on: disabled, every entry masked, nothing pending. */
    void reset() {
        java.util.Arrays.fill(table, (byte) 0);
        for (int v = 0; v < vectors; v++) table[v * ENTRY + 12] = 1;
        java.util.Arrays.fill(pending, 0);
    }

    private long read(long offset, int size) {
        if (offset >= PBA_OFFSET) {
            long at = offset - PBA_OFFSET;
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                long byteAt = at + i;
                v = (v << 8) | (byteAt < pending.length * 8L ? (pending[(int) (byteAt / 8)] >>> (8 * (byteAt % 8))) & 0xff : 0);
            }
            return v;
        }
        if (offset + size > table.length) return 0;
        return le((int) offset, size);
    }

    private void write(long offset, int size, long value) {
        if (offset >= PBA_OFFSET || offset + size > table.length) return;   // the pending bits are read-only
        for (int i = 0; i < size; i++) table[(int) offset + i] = (byte) (value >>> (8 * i));
        deliverPending();
    }

    private long le(int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | (table[at + i] & 0xff);
        return v;
    }
}
