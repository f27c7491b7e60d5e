package org.orrery.device.pci;

import org.orrery.device.support.GuestLog;
import org.orrery.machine.device.Device;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A PCI function (abstract type {@value #TYPE}): a 256-byte configuration space with a type-0 header,
 * up to six BARs mapped into the host's windows while the guest enables decoding, a capability list,
 * INTx on its interrupt pin, an optional expansion ROM ({@code romfile}) and optional MSI-X ({@link MsiX}).
 * Writes follow the registers' write masks and write-one-to-clear bits, as QEMU's PCI core does.
 *
 * <p>A subclass lays its function out in {@link #realizeFunction()} ({@link #setIds}, {@link #setBar},
 * {@link #addCapability}, {@link #setInterruptPin}) and may watch configuration accesses
 * ({@link #configRead}, {@link #configWritten}). Everything runs on the machine thread.
 */
public abstract class PciDevice extends Device {
    public static final String TYPE = "pci-device";
    public static final int CONFIG_SIZE = 256;

    public static final Property<Long> ADDR = Property.of("addr", PciAddressType.INSTANCE).defaultValue(-1L)
            .description("Slot and optional function number, example: 06.0 or 06");
    public static final Property<String> ROMFILE = Property.of("romfile", PropertyTypes.STR).defaultValue("")
            .description("expansion ROM image (empty: none)");
    public static final Property<Boolean> MULTIFUNCTION = Property.of("multifunction", PropertyTypes.BOOL).defaultValue(false)
            .description("on/off: the slot holds more functions (header type bit 7)");

    // header offsets and bits (PCI Local Bus 3.0, 6.2)
    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08,
            CLASS_PROG = 0x09, CACHE_LINE = 0x0c, HEADER_TYPE = 0x0e, BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2c,
            SUBSYSTEM_ID = 0x2e, ROM_ADDRESS = 0x30, CAPABILITY_LIST = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d;
    public static final int COMMAND_IO = 1, COMMAND_MEMORY = 2, COMMAND_MASTER = 4, COMMAND_PARITY = 0x40,
            COMMAND_SERR = 0x100, COMMAND_INTX_DISABLE = 0x400;
    public static final int STATUS_INTERRUPT = 0x08, STATUS_CAP_LIST = 0x10;
    static final long UNMAPPED = -1;
    static final int ROM_BAR = 6;

    private final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] wmask = new byte[CONFIG_SIZE];
    private final byte[] w1cmask = new byte[CONFIG_SIZE];
    private final PciBar[] bars = new PciBar[7];     // 0..5, and the expansion ROM
    private final long[] mappedAt = new long[7];
    private int nextCapability;
    private PciBus bus;
    private int devfn = -1;
    private boolean intx;
    private MsiX msix;
    private GuestLog log;

    @Override public String busType() { return PciBus.TYPE; }

    private static final byte[] NO_MSIX_TABLE = new byte[0];

    /**
     * A function's configuration space as the guest left it (BAR addresses, command, capabilities' registers),
     * its INTx level and its MSI-X table and pending bits (empty without MSI-X). After a load the BARs are
     * mapped where the loaded registers say and the bus drives INTx again.
     */
    static final StateDescription<PciDevice> PCI_STATE = StateDescription.of("pci-function", PciDevice.class, 1)
            .buffer("config", d -> d.config)
            .bool("intx", d -> d.intx, (d, v) -> d.intx = v)
            .buffer("msix-table", d -> d.msix == null ? NO_MSIX_TABLE : d.msix.table)
            .longs("msix-pending", d -> d.msix == null ? new long[0] : d.msix.pending)
            .afterLoad(d -> {
                d.updateMappings();
                d.updateIntx();
            })
            .build();

    /** A state description for a PCI function: its PCI state (field {@code pci}) and what the subclass adds. */
    public static <T extends PciDevice> StateDescription.Builder<T> state(String typeName, Class<T> deviceClass, int version) {
        return StateDescription.of(typeName, deviceClass, version).record("pci", PCI_STATE, d -> d);
    }

    /** The PCI state only; a function with more state overrides this with a description made by {@link #state}. */
    @Override public StateDescription<?> stateDescription() { return state(type().name(), PciDevice.class, 1).build(); }

    // ---- realize ----

    /** Lays the function out: ids, BARs, capabilities, interrupt pin. Called before it appears on the bus. */
    protected abstract void realizeFunction();

    /** Releases what {@link #realizeFunction()} took (the function is already off the bus). */
    protected void unrealizeFunction() { }

    /** A device reset, after the configuration space went back to its power-on state. */
    protected void resetFunction() { }

    @Override protected final void onRealize() {
        java.util.Arrays.fill(config, (byte) 0);
        java.util.Arrays.fill(wmask, (byte) 0);
        java.util.Arrays.fill(w1cmask, (byte) 0);
        java.util.Arrays.fill(bars, null);
        java.util.Arrays.fill(mappedAt, UNMAPPED);
        msix = null;
        nextCapability = 0x40;
        // writable header fields, as QEMU's PCI core sets them up
        setWord(wmask, COMMAND, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_PARITY | COMMAND_SERR | COMMAND_INTX_DISABLE);
        setWord(w1cmask, STATUS, 0xf900);   // parity, signalled/received aborts, SERR, parity error
        wmask[CACHE_LINE] = (byte) 0xff;
        wmask[INTERRUPT_LINE] = (byte) 0xff;
        if (get(MULTIFUNCTION)) config[HEADER_TYPE] = (byte) 0x80;
        realizeFunction();
        loadRom();
        plugIntoBus();
    }

    @Override protected final void onUnrealize() {
        for (int i = 0; i < bars.length; i++) unmapBar(i);
        intx = false;
        unplugFromBus();
        unrealizeFunction();
    }

    /** Where the bus placed the function, or -1 before it is plugged. */
    public final int devfn() { return devfn; }

    public final PciBus pciBus() { return bus; }

    final int requestedDevfn() { return (int) (long) get(ADDR); }

    final void attached(PciBus b, int at) {
        bus = b;
        devfn = at;
        set(ADDR, (long) at);   // as QEMU's addr: where the function is, once it is somewhere
        updateMappings();
    }

    final void detached() {
        bus = null;
        devfn = -1;
    }

    /** The id QEMU's messages show: the device's id, or {@code (null)}. */
    final String qemuId() {
        String p = path();
        return p.startsWith("/machine/peripheral/") ? name() : "(null)";
    }

    // ---- laying the function out ----

    /** Vendor, device, class (24 bits: class, subclass, programming interface), revision and subsystem. */
    protected final void setIds(int vendor, int device, int classCode, int revision, int subsystemVendor, int subsystem) {
        setWord(config, VENDOR_ID, vendor);
        setWord(config, DEVICE_ID, device);
        config[REVISION] = (byte) revision;
        config[CLASS_PROG] = (byte) classCode;
        setWord(config, CLASS_PROG + 1, classCode >>> 8);
        setWord(config, SUBSYSTEM_VENDOR_ID, subsystemVendor);
        setWord(config, SUBSYSTEM_ID, subsystem);
    }

    /** Which INTx pin the function uses: 1 (INTA) to 4 (INTD), 0 for none. */
    protected final void setInterruptPin(int pin) { config[INTERRUPT_PIN] = (byte) pin; }

    /** Declares BAR {@code index} (a 64-bit BAR also takes {@code index + 1}). */
    protected final void setBar(int index, PciBar bar) {
        if (index < 0 || index > 5 || (bar.kind() == PciBar.Kind.MEMORY64 && index == 5))
            throw new IllegalArgumentException("no BAR " + index + " for a " + bar.kind() + " window");
        bars[index] = bar;
        int reg = BAR0 + 4 * index;
        long mask = ~(bar.size() - 1);
        setDword(config, reg, bar.flags());
        setDword(wmask, reg, mask & (bar.isIo() ? ~0x3L : ~0xfL));
        if (bar.kind() == PciBar.Kind.MEMORY64) setDword(wmask, reg + 4, mask >>> 32);
    }

    /** The BAR declared at {@code index}, or null. */
    public final PciBar bar(int index) { return index >= 0 && index < 6 ? bars[index] : null; }

    /** Adds a capability of {@code length} bytes at the head of the list; returns its offset. */
    protected final int addCapability(int id, int length) {
        int at = nextCapability;
        if (at + length > CONFIG_SIZE) throw new IllegalStateException("no room for capability " + id + " in the configuration space");
        config[at] = (byte) id;
        config[at + 1] = config[CAPABILITY_LIST];
        config[CAPABILITY_LIST] = (byte) at;
        setWord(config, STATUS, word(STATUS) | STATUS_CAP_LIST);
        nextCapability = (at + length + 3) & ~3;
        return at;
    }

    /** Makes bits of the configuration space writable by the guest. */
    protected final void setWritable(int offset, int bytes, long mask) {
        for (int i = 0; i < bytes; i++) wmask[offset + i] = (byte) (mask >>> (8 * i));
    }

    /** Sets bytes of the configuration space from device code (no write mask). */
    protected final void setConfig(int offset, int bytes, long value) {
        for (int i = 0; i < bytes; i++) config[offset + i] = (byte) (value >>> (8 * i));
    }

    void useMsiX(MsiX m) { msix = m; }

    /** The function's MSI-X, or null when it has none. */
    public final MsiX msix() { return msix; }

    // ---- configuration accesses ----

    /** A configuration read of 1, 2 or 4 bytes (little-endian); beyond the 256 bytes it reads all ones. */
    public final long readConfig(int offset, int size) {
        if (offset < 0 || offset + size > CONFIG_SIZE) return (1L << (8 * size)) - 1;
        return configRead(offset, size, config(offset, size));
    }

    /** The current value of configuration bytes, as device code sees them. */
    public final long config(int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | (config[offset + i] & 0xff);
        return v;
    }

    public final int word(int offset) { return (int) config(offset, 2); }

    /** A configuration write, through the write masks; updates BAR mappings and INTx as the header changes. */
    public final void writeConfig(int offset, int size, long value) {
        if (offset < 0 || offset + size > CONFIG_SIZE) return;
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            int b = (int) (value >>> (8 * i)) & 0xff;
            int w = wmask[at] & 0xff, c = w1cmask[at] & 0xff;
            config[at] = (byte) (((config[at] & ~w) | (b & w)) & ~(b & c));
        }
        int end = offset + size;
        if (offset < BAR0 + 24 && end > COMMAND || (offset < ROM_ADDRESS + 4 && end > ROM_ADDRESS)) updateMappings();
        if (offset <= COMMAND + 1 && end > COMMAND + 1) updateIntx();
        if (msix != null) msix.configWritten(offset, size);
        configWritten(offset, size, value);
    }

    /** Hook: a read of configuration bytes the subclass answers itself (QEMU's config_read); default as stored. */
    protected long configRead(int offset, int size, long stored) { return stored; }

    /** Hook: the guest wrote configuration bytes (after the masks applied). */
    protected void configWritten(int offset, int size, long value) { }

    // ---- BAR mappings ----

    private void updateMappings() {
        if (bus == null) return;
        for (int i = 0; i < bars.length; i++) {
            if (bars[i] == null) continue;
            long at = barAddress(i);
            if (at == mappedAt[i]) continue;
            unmapBar(i);
            if (at == UNMAPPED) continue;
            mappedAt[i] = at;
            try {
                bus.host().map(bars[i].kind(), at, bars[i].region());
            } catch (RuntimeException e) {
                guestLog().guestError("bar" + i, "BAR " + i + " at 0x" + Long.toHexString(at) + " cannot be mapped: " + e.getMessage());
            }
        }
    }

    private void unmapBar(int i) {
        if (mappedAt[i] == UNMAPPED) return;
        mappedAt[i] = UNMAPPED;
        if (bus != null) bus.host().unmap(bars[i].region());
    }

    /** Where BAR {@code i} decodes now, or UNMAPPED (decoding off, sizing pattern, wrapping), as QEMU decides. */
    private long barAddress(int i) {
        PciBar b = bars[i];
        int command = word(COMMAND);
        if (i == ROM_BAR) {
            long reg = config(ROM_ADDRESS, 4);
            if ((command & COMMAND_MEMORY) == 0 || (reg & 1) == 0) return UNMAPPED;
            return checked(reg & ~(b.size() - 1) & 0xfffff800L, b.size(), false);
        }
        if ((command & (b.isIo() ? COMMAND_IO : COMMAND_MEMORY)) == 0) return UNMAPPED;
        int reg = BAR0 + 4 * i;
        long address = config(reg, 4) & (b.isIo() ? ~0x3L : ~0xfL) & 0xffffffffL;
        boolean wide = b.kind() == PciBar.Kind.MEMORY64;
        if (wide) address |= config(reg + 4, 4) << 32;
        return checked(address & ~(b.size() - 1), b.size(), wide);
    }

    private static long checked(long address, long size, boolean wide) {
        long last = address + size - 1;
        if (Long.compareUnsigned(last, address) <= 0 || last == -1L) return UNMAPPED;
        if (!wide && Long.compareUnsigned(last, 0xffffffffL) >= 0) return UNMAPPED;
        return address;
    }

    /** Where BAR {@code index} is mapped now (a PCI bus address), or -1. */
    public final long barMapping(int index) { return index >= 0 && index < bars.length ? mappedAt[index] : UNMAPPED; }

    // ---- the expansion ROM ----

    private void loadRom() {
        String file = get(ROMFILE);
        if (file == null || file.isEmpty()) return;
        byte[] data;
        try {
            data = Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new QomException("failed to find romfile \"" + file + "\"");
        } catch (IOException | RuntimeException e) {
            throw new QomException("failed to read romfile \"" + file + "\": " + e.getMessage());
        }
        if (data.length == 0) throw new QomException("romfile \"" + file + "\" is empty");
        long size = Math.max(2048, Long.highestOneBit(data.length - 1L) << 1);
        MemorySegment seg = Arena.ofAuto().allocate(size, 8);
        MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
        bars[ROM_BAR] = new PciBar(PciBar.Kind.MEMORY32, false, MemoryRegion.rom(type().name() + ".rom", seg));
        setDword(wmask, ROM_ADDRESS, (~(size - 1) & 0xfffff800L) | 1);
    }

    // ---- interrupts and DMA ----

    /** Drives the function's INTx pin (held low while the guest sets INTX_DISABLE). */
    protected final void setIntx(boolean level) {
        if (intx == level) return;
        intx = level;
        updateIntx();
    }

    private void updateIntx() {
        int status = word(STATUS);
        setWord(config, STATUS, intx ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        if (bus != null) bus.updateIntx();
    }

    final boolean intxAsserted() { return intx && (word(COMMAND) & COMMAND_INTX_DISABLE) == 0; }

    public final int interruptPin() { return config[INTERRUPT_PIN]; }

    /** Where the function's DMA goes (PCI addresses are system addresses on virt: no IOMMU). */
    public final AddressSpace dma() { return bus != null ? bus.host().dma() : machine().systemMemory(); }

    public final boolean busMasterEnabled() { return (word(COMMAND) & COMMAND_MASTER) != 0; }

    /** Guest-error and unimplemented-feature logging for this function. */
    public final GuestLog guestLog() {
        if (log == null) log = new GuestLog(type().name() + (path().isEmpty() ? "" : " " + path()),
                () -> tree().attachment(org.orrery.machine.Machine.class));
        return log;
    }

    /** As QEMU's "info qtree" shows a PCI function: class, address, ids, and each BAR with where it is mapped. */
    @Override public java.util.List<String> monitorDetails() {
        java.util.List<String> out = new java.util.ArrayList<>();
        int cls = (int) config(CLASS_PROG + 1, 2);
        out.add(String.format("class %s, addr 00:%02x.%x, pci id %04x:%04x (sub %04x:%04x)", className(cls), devfn >> 3, devfn & 7,
                word(VENDOR_ID), word(DEVICE_ID), word(SUBSYSTEM_VENDOR_ID), word(SUBSYSTEM_ID)));
        for (int i = 0; i < 6; i++) {
            if (bars[i] == null) continue;
            out.add(String.format("bar %d: %s at 0x%x [0x%x]", i, bars[i].isIo() ? "i/o" : "mem", mappedAt[i], mappedAt[i] + bars[i].size() - 1));
        }
        return out;
    }

    /** A class (class and subclass) by QEMU's name for it, or "Class NNNN" (decimal, as QEMU prints it). */
    public static String className(int classAndSubclass) {
        String name = PciClassNames.of(classAndSubclass);
        return name != null ? name : String.format("Class %04d", classAndSubclass);
    }

    // ---- reset ----

    /** A device reset, as QEMU's: decoding, bus mastering and error bits off, BAR addresses cleared. */
    @Override public final void reset() {
        setWord(config, COMMAND, word(COMMAND) & ~(getWord(wmask, COMMAND) | getWord(w1cmask, COMMAND)));
        setWord(config, STATUS, word(STATUS) & ~getWord(w1cmask, STATUS));
        config[CACHE_LINE] = 0;
        config[INTERRUPT_LINE] = 0;
        for (int i = 0; i < 6; i++) {
            if (bars[i] == null) continue;
            setDword(config, BAR0 + 4 * i, bars[i].flags());
            if (bars[i].kind() == PciBar.Kind.MEMORY64) setDword(config, BAR0 + 4 * i + 4, 0);
        }
        if (bars[ROM_BAR] != null) setDword(config, ROM_ADDRESS, 0);
        updateMappings();
        if (msix != null) msix.reset();
        intx = false;
        updateIntx();
        resetFunction();
    }

    // ---- little-endian helpers ----

    private static void setWord(byte[] a, int at, long v) { a[at] = (byte) v; a[at + 1] = (byte) (v >>> 8); }

    private static int getWord(byte[] a, int at) { return (a[at] & 0xff) | (a[at + 1] & 0xff) << 8; }

    private static void setDword(byte[] a, int at, long v) { setWord(a, at, v); setWord(a, at + 2, v >>> 16); }
}
