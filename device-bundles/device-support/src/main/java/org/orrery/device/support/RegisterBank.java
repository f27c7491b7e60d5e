package org.orrery.device.support;

import org.orrery.machine.memory.MmioHandler;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.function.IntToLongFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A device's registers as a table: each has an offset, a width, a name and read/write callbacks, so a
 * device reads like its datasheet rather than a switch over offsets.
 *
 * <pre>
 * RegisterBank regs = new RegisterBank("ns16550a", log)
 *     .reg(0, 1, "rbr-thr").read(this::receive).write(this::transmit)
 *     .reg(5, 1, "lsr").read(this::lineStatus);
 * </pre>
 *
 * Accesses are decoded byte-exactly: an access that covers a register exactly calls it once; a
 * narrower access reads the register and extracts its bytes, or merges the written bytes into its
 * current value (read through {@link Reg#peek} when reads have side effects); a wider access is split
 * over the registers it covers. Bytes where no register is defined read as zero and writes to them are
 * ignored, logged once per offset as guest errors. Writes to read-only registers and reads of
 * write-only ones are logged the same way. Nothing a guest does throws.
 */
public final class RegisterBank implements MmioHandler {
    private final String device;
    private final GuestLog log;
    private final TreeMap<Long, Reg> regs = new TreeMap<>();

    public RegisterBank(String device, GuestLog log) {
        this.device = device;
        this.log = log;
    }

    public GuestLog log() { return log; }

    /** Defines a register of {@code width} bytes (1, 2, 4 or 8) at {@code offset}; configure it with the returned builder. */
    public Reg reg(long offset, int width, String name) {
        if (width != 1 && width != 2 && width != 4 && width != 8) throw new IllegalArgumentException("width " + width);
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

    /** The register at exactly {@code offset}, or null. */
    public Reg at(long offset) { return regs.get(offset); }

    private Reg containing(long offset) {
        Map.Entry<Long, Reg> e = regs.floorEntry(offset);
        if (e == null) return null;
        Reg r = e.getValue();
        return offset < r.offset + r.width ? r : null;
    }

    @Override public long read(long offset, int size) {
        Reg exact = regs.get(offset);
        if (exact != null && exact.width == size) return exact.doRead() & mask(size);
        long result = 0;
        long at = offset;
        long end = offset + size;
        while (at < end) {
            Reg r = containing(at);
            if (r == null) {
                log.guestError("r" + at, String.format("read of %d bytes at undefined offset 0x%x", size, at));
                at = skipUndefined(at, end);
                continue;
            }
            long pieceEnd = Math.min(end, r.offset + r.width);
            long v = r.doRead() >>> (8 * (at - r.offset));
            result |= (v & mask((int) (pieceEnd - at))) << (8 * (at - offset));
            at = pieceEnd;
        }
        return result & mask(size);
    }

    @Override public void write(long offset, int size, long value) {
        Reg exact = regs.get(offset);
        if (exact != null && exact.width == size) { exact.doWrite(value & mask(size)); return; }
        long at = offset;
        long end = offset + size;
        while (at < end) {
            Reg r = containing(at);
            if (r == null) {
                log.guestError("w" + at, String.format("write of %d bytes at undefined offset 0x%x", size, at));
                at = skipUndefined(at, end);
                continue;
            }
            long pieceEnd = Math.min(end, r.offset + r.width);
            int shiftInReg = (int) (8 * (at - r.offset));
            long pieceMask = mask((int) (pieceEnd - at)) << shiftInReg;
            long piece = (value >>> (8 * (at - offset))) << shiftInReg;
            long merged = (r.peekValue() & ~pieceMask) | (piece & pieceMask);
            r.doWrite(merged & mask(r.width));
            at = pieceEnd;
        }
    }

    /** The next defined register's offset within the access, or its end. */
    private long skipUndefined(long at, long end) {
        Long next = regs.ceilingKey(at + 1);
        return next == null ? end : Math.min(end, next);
    }

    static long mask(int bytes) { return bytes >= 8 ? -1L : (1L << (8 * bytes)) - 1; }

    /** One register: configure with {@link #read}, {@link #write}, {@link #peek}; chain back with {@link #reg}. */
    public static final class Reg {
        private final RegisterBank bank;
        final long offset;
        final int width;
        final String name;
        private LongSupplier read;
        private LongConsumer write;
        private LongSupplier peek;

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

        /** A read-write register backed by {@code holder[0]}: plain storage. */
        public Reg storage(long[] holder) { this.read = () -> holder[0]; this.write = v -> holder[0] = v; return this; }

        /** Writes are accepted and ignored (reserved-but-writable registers). */
        public Reg ignoreWrites() { this.write = v -> { }; return this; }

        /** Reads return {@code value}. */
        public Reg constant(long value) { this.read = () -> value; return this; }

        /** Starts the next register (to keep the table fluent). */
        public Reg reg(long nextOffset, int nextWidth, String nextName) { return bank.reg(nextOffset, nextWidth, nextName); }

        /** Ends the table. */
        public RegisterBank done() { return bank; }

        long doRead() {
            if (read == null) {
                bank.log.guestError("r" + offset, String.format("read of write-only register %s (0x%x)", name, offset));
                return 0;
            }
            return read.getAsLong();
        }

        long peekValue() {
            if (peek != null) return peek.getAsLong();
            return read == null ? 0 : read.getAsLong();
        }

        void doWrite(long value) {
            if (write == null) {
                bank.log.guestError("w" + offset, String.format("write of 0x%x to read-only register %s (0x%x)", value, name, offset));
                return;
            }
            write.accept(value);
        }
    }

    /** Convenience for callers that need an index-less writer from an {@link IntConsumer}. */
    public static LongConsumer ofInt(IntConsumer c) { return v -> c.accept((int) v); }
}
