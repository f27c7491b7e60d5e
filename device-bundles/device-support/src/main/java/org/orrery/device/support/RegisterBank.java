package org.orrery.device.support;

import org.orrery.machine.memory.MmioHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntToLongFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A device's registers as a table: each has an offset, a width and a name, so a device reads like its
 * datasheet rather than a switch over offsets. A register either holds its value in the bank, as named bit
 * fields with an access kind and a reset value ({@link Reg#field}, {@link Reg#rw}), or computes it through
 * read/write callbacks ({@link Reg#read}, {@link Reg#write}) when reading or writing it does something.
 *
 * <pre>
 * RegisterBank regs = new RegisterBank("edu-mmio", log, 0x1000)
 *     .reg(0x00, 4, "id").constant(0x45440100)
 *     .reg(0x20, 4, "status").field("done", 0, 1, Access.W1C).field("busy", 1, 1, Access.RO).onWrite(v -&gt; update())
 *     .reg(0x24, 4, "enable").rw().resetValue(1)
 *     .done();
 * </pre>
 *
 * <p>Stored registers take their reset values in one {@link #reset()}. A guest write to one keeps the
 * read-only bits, takes the read-write bits, clears the write-one-to-clear bits written as one and drops the
 * reserved bits (which read as zero); then its {@code onWrite} runs with the new value.
 *
 * <p>Accesses are decoded byte-exactly: an access that covers a register exactly reaches it once; a
 * narrower access reads the register and extracts its bytes, or merges the written bytes into its current
 * value (read through {@link Reg#peek} when reads have side effects); a wider access is split over the
 * registers it covers. A {@link #window} passes its accesses through unchanged. Bytes where nothing is
 * defined read as zero and writes to them are ignored, logged once per offset as guest errors, as are
 * writes to read-only registers and reads of write-only ones. Nothing a guest does throws.
 */
public final class RegisterBank implements MmioHandler {
    /** How a bit field answers the guest. */
    public enum Access {
        /** Read and written. */
        RW,
        /** Read; guest writes leave it as it is (the device sets it). */
        RO,
        /** Read; writing one clears the bit, writing zero leaves it. */
        W1C,
        /** Reads as zero; writes are dropped. */
        RESERVED
    }

    private final String device;
    private final GuestLog log;
    private final long size;
    private final TreeMap<Long, Reg> regs = new TreeMap<>();
    private final List<Window> windows = new ArrayList<>();

    /** A bank for {@code device} whose registers all lie below {@code size}. */
    public RegisterBank(String device, GuestLog log, long size) {
        this.device = device;
        this.log = log;
        this.size = size;
    }

    /** A bank with no size of its own (its user maps it). */
    public RegisterBank(String device, GuestLog log) { this(device, log, Long.MAX_VALUE); }

    public GuestLog log() { return log; }

    /** The size of the region the registers lie in. */
    public long size() { return size; }

    /** Defines a register of {@code width} bytes (1, 2, 4 or 8) at {@code offset}; configure it with the returned builder. */
    public Reg reg(long offset, int width, String name) {
        if (width != 1 && width != 2 && width != 4 && width != 8) throw new IllegalArgumentException("width " + width);
        if (offset < 0 || offset + width > size) throw new IllegalArgumentException(device + ": register " + name + " lies outside the bank");
        Map.Entry<Long, Reg> below = regs.floorEntry(offset + width - 1);
        if (below != null && below.getKey() + below.getValue().width > offset)
            throw new IllegalArgumentException(device + ": register " + name + " overlaps " + below.getValue().name);
        Reg r = new Reg(this, offset, width, name);
        regs.put(offset, r);
        return r;
    }

    /**
     * Defines {@code count} registers {@code stride} bytes apart from {@code base}, named {@code name[i]};
     * {@code read} and {@code write} receive the index.
     */
    public RegisterBank array(long base, int count, long stride, int width, String name, IntToLongFunction read, IndexedWriter write) {
        for (int i = 0; i < count; i++) {
            final int index = i;
            Reg r = reg(base + i * stride, width, name + "[" + i + "]");
            if (read != null) r.read(() -> read.applyAsLong(index));
            if (write != null) r.write(v -> write.write(index, v));
        }
        return this;
    }

    /** Receives writes to an element of a register array. */
    @FunctionalInterface
    public interface IndexedWriter { void write(int index, long value); }

    /**
     * Passes accesses to {@code length} bytes from {@code offset} to {@code handler} unchanged, with offsets
     * relative to the window (a configuration space the device decodes itself).
     */
    public RegisterBank window(long offset, long length, MmioHandler handler) {
        windows.add(new Window(offset, length, handler));
        return this;
    }

    private record Window(long offset, long length, MmioHandler handler) {
        boolean holds(long at) { return at >= offset && at - offset < length; }
    }

    /** The stored registers' values by name: the part of a device's state the bank holds. */
    public org.orrery.machine.state.StateRecord saveStored() {
        var r = new org.orrery.machine.state.StateRecord("registers", 1);
        for (Reg reg : regs.values()) if (reg.stored) r.put(reg.name, reg.value);
        return r;
    }

    /** Throws a StateException when {@code saved} names a stored register this bank lacks or misses one it has. */
    public void checkStored(org.orrery.machine.state.StateRecord saved) {
        java.util.Set<String> mine = new java.util.TreeSet<>();
        for (Reg reg : regs.values()) if (reg.stored) mine.add(reg.name);
        for (String name : saved.values().keySet())
            if (!mine.contains(name)) throw new org.orrery.machine.state.StateException("saved register '" + name + "' does not exist in this version");
        for (String name : mine)
            if (!saved.has(name)) throw new org.orrery.machine.state.StateException("register '" + name + "' is not in the saved state");
    }

    /** Loads what {@link #checkStored} accepted; values keep only the register's defined bits. */
    public void loadStored(org.orrery.machine.state.StateRecord saved) {
        for (Reg reg : regs.values()) if (reg.stored) reg.set(saved.getLong(reg.name));
    }

    /** Gives every stored register its reset value. */
    public void reset() {
        for (Reg r : regs.values()) if (r.stored) r.value = r.resetValue;
    }

    private Reg containing(long offset) {
        Map.Entry<Long, Reg> e = regs.floorEntry(offset);
        if (e == null) return null;
        Reg r = e.getValue();
        return offset < r.offset + r.width ? r : null;
    }

    private Window windowAt(long offset) {
        for (Window w : windows) if (w.holds(offset)) return w;
        return null;
    }

    @Override public long read(long offset, int size) {
        Window w = windowAt(offset);
        if (w != null) return w.handler.read(offset - w.offset, size);
        Reg exact = regs.get(offset);
        if (exact != null && exact.width == size) return exact.doRead() & mask(size);
        return byPieces("read", offset, size, (r, at, pieceEnd) -> {
            long v = r.doRead() >>> (8 * (at - r.offset));
            return (v & mask((int) (pieceEnd - at))) << (8 * (at - offset));
        }) & mask(size);
    }

    @Override public void write(long offset, int size, long value) {
        Window w = windowAt(offset);
        if (w != null) { w.handler.write(offset - w.offset, size, value); return; }
        Reg exact = regs.get(offset);
        if (exact != null && exact.width == size) { exact.doWrite(value & mask(size)); return; }
        byPieces("write", offset, size, (r, at, pieceEnd) -> {
            int shiftInReg = (int) (8 * (at - r.offset));
            long pieceMask = mask((int) (pieceEnd - at)) << shiftInReg;
            long piece = (value >>> (8 * (at - offset))) << shiftInReg;
            // the bytes not written keep their value: write-one-to-clear bits there are written as zero
            long untouched = r.peekValue() & ~pieceMask & ~r.w1cMask;
            r.doWrite((untouched | (piece & pieceMask)) & mask(r.width));
            return 0;
        });
    }

    /** What an access does with its bytes [at, pieceEnd) in register {@code r}; a read returns them where they go in its value. */
    private interface Piece { long access(Reg r, long at, long pieceEnd); }

    /**
     * An access that is not exactly one register, done register by register: {@code piece} runs for each part that
     * lies in one, and the results are ORed; a part where no register is is a guest error ({@code kind} "read" or
     * "write", logged once per offset) and reads as zero.
     */
    private long byPieces(String kind, long offset, int size, Piece piece) {
        long result = 0;
        long at = offset;
        long end = offset + size;
        while (at < end) {
            Reg r = containing(at);
            if (r == null) {
                log.guestError(kind.substring(0, 1) + at, String.format("%s of %d bytes at undefined offset 0x%x", kind, size, at));
                at = skipUndefined(at, end);
                continue;
            }
            long pieceEnd = Math.min(end, r.offset + r.width);
            result |= piece.access(r, at, pieceEnd);
            at = pieceEnd;
        }
        return result;
    }

    /** The next defined register's offset within the access, or its end. */
    private long skipUndefined(long at, long end) {
        Long next = regs.ceilingKey(at + 1);
        return next == null ? end : Math.min(end, next);
    }

    static long mask(int bytes) { return bytes >= 8 ? -1L : (1L << (8 * bytes)) - 1; }

    static long bits(int lsb, int width) { return (width >= 64 ? -1L : (1L << width) - 1) << lsb; }

    /** One register: configure with the methods below; chain back with {@link #reg} or {@link #done}. */
    public static final class Reg {
        private final RegisterBank bank;
        final long offset;
        final int width;
        final String name;
        private LongSupplier read;
        private LongConsumer write;
        private LongSupplier peek;
        // a stored register: its value, reset value, field masks and what runs after a guest write
        private boolean stored;
        private long value, resetValue;
        private long rwMask, roMask, w1cMask;
        private final Map<String, Long> fields = new TreeMap<>();
        private LongConsumer onWrite = v -> { };

        Reg(RegisterBank bank, long offset, int width, String name) {
            this.bank = bank;
            this.offset = offset;
            this.width = width;
            this.name = name;
        }

        public String name() { return name; }
        public long offset() { return offset; }
        public int width() { return width; }

        /** What a read returns (may have side effects, such as popping a FIFO). */
        public Reg read(LongSupplier reader) { this.read = reader; return this; }

        /** What a write does with the value (zero-extended to the register's width). */
        public Reg write(LongConsumer writer) { this.write = writer; return this; }

        /** A side-effect-free read, used to merge partial writes; defaults to the reader. */
        public Reg peek(LongSupplier peeker) { this.peek = peeker; return this; }

        /** Writes are accepted and ignored (reserved-but-writable registers). */
        public Reg ignoreWrites() { this.write = v -> { }; return this; }

        /** Reads return {@code value}. */
        public Reg constant(long value) { this.read = () -> value; return this; }

        /**
         * Stores the bits {@code lsb .. lsb + bits - 1} as the field {@code fieldName}, answering the guest as
         * {@code access} says. Bits no field covers are reserved.
         */
        public Reg field(String fieldName, int lsb, int bits, Access access) {
            if (lsb < 0 || bits < 1 || lsb + bits > 8 * width) throw new IllegalArgumentException(name + "." + fieldName + " does not fit");
            long m = RegisterBank.bits(lsb, bits);
            if (((rwMask | roMask | w1cMask) & m) != 0 || fields.containsKey(fieldName))
                throw new IllegalArgumentException(name + "." + fieldName + " overlaps another field");
            stored = true;
            fields.put(fieldName, m);
            switch (access) {
                case RW -> rwMask |= m;
                case RO -> roMask |= m;
                case W1C -> w1cMask |= m;
                case RESERVED -> { }
            }
            return this;
        }

        /** Plain storage: one read-write field over the whole register. */
        public Reg rw() { return field("value", 0, 8 * width, Access.RW); }

        /** The value {@link RegisterBank#reset()} gives it (zero unless set). */
        public Reg resetValue(long v) { this.resetValue = v; this.value = v; return this; }

        /** Runs after every guest write of a stored register, with its new value. */
        public Reg onWrite(LongConsumer after) { this.onWrite = after; return this; }

        /** The stored value. */
        public long value() { return value; }

        /** Sets the stored value as the device (not the guest) does: every field, read-only ones too. */
        public void set(long v) { value = v & (rwMask | roMask | w1cMask); }

        /** Field {@code fieldName} of the stored value, shifted down. */
        public long get(String fieldName) {
            long m = fieldMask(fieldName);
            return (value & m) >>> Long.numberOfTrailingZeros(m);
        }

        /** Sets field {@code fieldName} as the device does. */
        public void set(String fieldName, long v) {
            long m = fieldMask(fieldName);
            value = (value & ~m) | ((v << Long.numberOfTrailingZeros(m)) & m);
        }

        private long fieldMask(String fieldName) {
            Long m = fields.get(fieldName);
            if (m == null) throw new IllegalArgumentException(name + " has no field " + fieldName);
            return m;
        }

        /** Starts the next register (to keep the table fluent). */
        public Reg reg(long nextOffset, int nextWidth, String nextName) { return bank.reg(nextOffset, nextWidth, nextName); }

        /** Ends the table. */
        public RegisterBank done() { return bank; }

        long doRead() {
            if (read != null) return read.getAsLong();
            if (stored) return value;
            bank.log.guestError("r" + offset, String.format("read of write-only register %s (0x%x)", name, offset));
            return 0;
        }

        long peekValue() {
            if (peek != null) return peek.getAsLong();
            if (stored) return value;
            return read != null ? read.getAsLong() : 0;
        }

        void doWrite(long v) {
            if (write != null) { write.accept(v); return; }
            if (stored) {
                value = (value & roMask) | (v & rwMask) | (value & w1cMask & ~v);
                onWrite.accept(value);
                return;
            }
            bank.log.guestError("w" + offset, String.format("write of 0x%x to read-only register %s (0x%x)", v, name, offset));
        }
    }
}
