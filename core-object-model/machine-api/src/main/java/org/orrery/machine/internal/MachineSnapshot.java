package org.orrery.machine.internal;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartState;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.state.MachineStateStats;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateRecord;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A whole machine's state as one stream: virtual time, system RAM (zero pages skipped, the rest in large runs),
 * every hart's architectural state and every realized device's declared state by path, then a CRC. Saved and
 * loaded at a safe point with the guest stopped; loaded into a machine built from the same configuration.
 *
 * <p>System RAM is the RAM placed directly in the system address space (the board's memory); memory a device
 * owns (a framebuffer) is part of that device's state.
 */
final class MachineSnapshot {
    private static final byte[] MAGIC = "ORRERY-VM-STATE\n".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    private static final int PAGE = MachineStateStats.PAGE;
    private static final int CHUNK = 1 << 20;
    private static final int END = 0x454e4421;   // "END!"

    private final MachineImpl machine;

    /** Set once loading has begun to change the machine (its RAM): a failure after that leaves it unfit to run. */
    private boolean changedMachine;

    MachineSnapshot(MachineImpl machine) { this.machine = machine; }

    boolean changedMachine() { return changedMachine; }

    // ---- save ----

    MachineStateStats save(OutputStream target, boolean wasRunning, List<Hart> harts, long clockNanos) throws IOException {
        long t0 = System.nanoTime();
        CountingOutputStream counted = new CountingOutputStream(target);
        CheckedOutputStream checked = new CheckedOutputStream(counted, new CRC32());
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(checked, CHUNK));
        out.write(MAGIC);
        out.writeInt(FORMAT);
        Board board = machine.board();
        out.writeUTF(board == null ? "" : board.type().name());
        out.writeBoolean(wasRunning);
        out.writeLong(clockNanos);
        List<MemoryRegion> rams = systemRam(machine.systemMemory()).stream().map(MemoryRegion.Placement::region).toList();
        out.writeInt(rams.size());
        long normal = 0, zero = 0;
        byte[] chunk = new byte[CHUNK];
        for (MemoryRegion r : rams) {
            out.writeUTF(r.name());
            out.writeLong(r.size());
            long[] counts = writeRam(out, r.backing(), chunk);
            normal += counts[0];
            zero += counts[1];
        }
        out.writeInt(harts.size());
        for (Hart h : harts) {
            HartState s = h.saveState();
            if (s == null) throw new StateException("hart " + h.hartId() + " cannot save its state");
            out.writeUTF(s.format());
            out.writeInt(s.values().size());
            for (var e : new java.util.TreeMap<>(s.values()).entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
        }
        Map<String, Device> devices = statefulDevices(machine.tree());
        out.writeInt(devices.size());
        for (var e : devices.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue().type().name());
            e.getValue().saveState().writeTo(out);
        }
        out.writeInt(END);
        out.flush();
        long crc = checked.getChecksum().getValue();
        new DataOutputStream(counted).writeLong(crc);
        counted.flush();
        return new MachineStateStats(counted.count, normal, zero, devices.size(), System.nanoTime() - t0, wasRunning);
    }

    /** Writes the non-zero runs of {@code ram} as (page index, page count, bytes), ending with -1; returns {normal, zero} pages. */
    private static long[] writeRam(DataOutputStream out, MemorySegment ram, byte[] chunk) throws IOException {
        long pages = ram.byteSize() / PAGE, normal = 0;
        MemorySegment zeroPage = MemorySegment.ofArray(new byte[PAGE]);
        long p = 0;
        int maxRun = chunk.length / PAGE;
        while (p < pages) {
            if (isZero(ram, p, zeroPage)) { p++; continue; }
            long start = p;
            while (p < pages && p - start < maxRun && !isZero(ram, p, zeroPage)) p++;
            int run = (int) (p - start);
            out.writeLong(start);
            out.writeInt(run);
            MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, start * PAGE, chunk, 0, run * PAGE);
            out.write(chunk, 0, run * PAGE);
            normal += run;
        }
        out.writeLong(-1);
        return new long[]{normal, pages - normal};
    }

    private static boolean isZero(MemorySegment ram, long page, MemorySegment zeroPage) {
        return ram.asSlice(page * PAGE, PAGE).mismatch(zeroPage) < 0;
    }

    // ---- load ----

    /**
     * Loads a stream into this machine: RAM straight from the stream (so a stream that fails part way leaves RAM
     * changed: the machine then must not run on, as after QEMU's failed incoming migration), then harts and devices,
     * all of which are checked before any is changed.
     */
    MachineStateStats load(InputStream source, List<Hart> harts) throws IOException {
        long t0 = System.nanoTime();
        CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(source, CHUNK), new CRC32());
        DataInputStream in = new DataInputStream(checked);
        try {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new StateException("not an Orrery machine state (wrong magic)");
            int format = in.readInt();
            if (format != FORMAT) throw new StateException("machine state format " + format + "; this Orrery reads format " + FORMAT);
            String boardType = in.readUTF();
            Board board = machine.board();
            String mine = board == null ? "" : board.type().name();
            if (!boardType.equals(mine)) throw new StateException("the state is of a '" + boardType + "' machine, this one is '" + mine + "'");
            boolean wasRunning = in.readBoolean();
            long clockNanos = in.readLong();
            Map<String, MemoryRegion.Placement> rams = new HashMap<>();
            for (MemoryRegion.Placement p : systemRam(machine.systemMemory())) rams.put(p.region().name(), p);
            int nRam = in.readInt();
            if (nRam != rams.size()) throw new StateException("the state has " + nRam + " RAM regions, this machine " + rams.size());
            long normal = 0, zero = 0;
            byte[] chunk = new byte[CHUNK];
            for (int i = 0; i < nRam; i++) {
                String name = in.readUTF();
                long size = in.readLong();
                MemoryRegion.Placement placed = rams.get(name);
                MemoryRegion r = placed == null ? null : placed.region();
                if (r == null) throw new StateException("the state has RAM '" + name + "', which this machine lacks");
                if (r.size() != size)
                    throw new StateException("RAM '" + name + "' is 0x" + Long.toHexString(size) + " bytes in the state, 0x" + Long.toHexString(r.size()) + " here (give the same -m)");
                changedMachine = true;
                long n = readRam(in, r.backing(), chunk);
                normal += n;
                zero += size / PAGE - n;
                // code translated from the old contents must go (harts flush their own when they take their state)
                machine.systemMemory().codePages().written(placed.offset(), size, null);
                machine.systemMemory().codePages().forgetShared();
            }
            int nHarts = in.readInt();
            if (nHarts != harts.size()) throw new StateException("the state has " + nHarts + " harts, this machine " + harts.size() + " (give the same -smp)");
            List<HartState> hartStates = new ArrayList<>();
            for (int i = 0; i < nHarts; i++) {
                String fmt = in.readUTF();
                int n = in.readInt();
                if (n < 0 || n > 1 << 16) throw new StateException("hart state with " + n + " values: a damaged stream");
                Map<String, Long> values = new HashMap<>();
                for (int k = 0; k < n; k++) values.put(in.readUTF(), in.readLong());
                hartStates.add(new HartState(fmt, values));
            }
            int nDev = in.readInt();
            if (nDev < 0 || nDev > 1 << 20) throw new StateException(nDev + " device states: a damaged stream");
            Map<String, StateRecord> saved = new LinkedHashMap<>();
            Map<String, String> savedTypes = new HashMap<>();
            for (int i = 0; i < nDev; i++) {
                String path = in.readUTF();
                savedTypes.put(path, in.readUTF());
                saved.put(path, StateRecord.readFrom(in));
            }
            if (in.readInt() != END) throw new StateException("the machine state does not end where it should: a damaged stream");
            long computed = checked.getChecksum().getValue();
            long crc = in.readLong();
            if (crc != computed) throw new StateException("the machine state's checksum does not match: a damaged stream");
            Map<String, Device> live = statefulDevices(machine.tree());
            Map<String, StateRecord> checkedRecords = checkDevices(live, saved, savedTypes);
            for (int i = 0; i < nHarts; i++) harts.get(i).restoreState(hartStates.get(i));
            machine.restoreClock(clockNanos);
            loadDevices(live, checkedRecords);
            return new MachineStateStats(normal * PAGE, normal, zero, saved.size(), System.nanoTime() - t0, wasRunning);
        } catch (EOFException e) {
            throw new StateException("the machine state ended early (a truncated stream, or the sender failed)", e);
        } catch (IllegalArgumentException e) {
            throw new StateException(e.getMessage(), e);
        }
    }

    private static long readRam(DataInputStream in, MemorySegment ram, byte[] chunk) throws IOException {
        long pages = ram.byteSize() / PAGE, normal = 0, next = 0;
        MemorySegment zeros = MemorySegment.ofArray(new byte[chunk.length]);
        while (true) {
            long start = in.readLong();
            if (start == -1) {
                clearGap(ram, next, pages, zeros);
                return normal;
            }
            int run = in.readInt();
            if (start < next || run <= 0 || run > chunk.length / PAGE || start + run > pages)
                throw new StateException("RAM run of " + run + " pages at page " + start + " lies outside the RAM or out of order: a damaged stream");
            clearGap(ram, next, start, zeros);
            in.readFully(chunk, 0, run * PAGE);
            MemorySegment.copy(chunk, 0, ram, ValueLayout.JAVA_BYTE, start * PAGE, run * PAGE);
            normal += run;
            next = start + run;
        }
    }

    /**
     * Zeroes the pages [from, to) that are not zero already: a fresh machine's RAM is, and writing it anyway would
     * make the host commit every page of a large guest (2 GiB for a 2 GiB guest whose state is a few MiB).
     */
    private static void clearGap(MemorySegment ram, long fromPage, long toPage, MemorySegment zeros) {
        long at = fromPage * PAGE, end = toPage * PAGE;
        while (at < end) {
            long n = Math.min(zeros.byteSize(), end - at);
            MemorySegment part = ram.asSlice(at, n);
            if (part.mismatch(zeros.asSlice(0, n)) >= 0) part.fill((byte) 0);
            at += n;
        }
    }

    private static Map<String, StateRecord> checkDevices(Map<String, Device> live, Map<String, StateRecord> saved, Map<String, String> savedTypes) {
        Map<String, StateRecord> out = new LinkedHashMap<>();
        for (String path : saved.keySet())
            if (!live.containsKey(path)) throw new StateException("the state has device " + path + " (" + savedTypes.get(path) + "), which this machine lacks");
        for (var e : live.entrySet()) {
            StateRecord r = saved.get(e.getKey());
            Device d = e.getValue();
            if (r == null) throw new StateException("device " + e.getKey() + " (" + d.type().name() + ") is not in the state");
            if (!savedTypes.get(e.getKey()).equals(d.type().name()))
                throw new StateException("device " + e.getKey() + " is a '" + savedTypes.get(e.getKey()) + "' in the state, a '" + d.type().name() + "' here");
            try {
                out.put(e.getKey(), check(d.stateDescription(), d, r));
            } catch (StateException x) {
                throw new StateException("device " + e.getKey() + ": " + x.getMessage(), x);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static StateRecord check(StateDescription<?> description, Device d, StateRecord r) {
        return ((StateDescription<Object>) description).check(d, r);
    }

    @SuppressWarnings("unchecked")
    private static void loadDevices(Map<String, Device> live, Map<String, StateRecord> checked) {
        for (var e : checked.entrySet()) {
            Device d = live.get(e.getKey());
            ((StateDescription<Object>) d.stateDescription()).load(d, e.getValue());
        }
    }

    // ---- what is saved ----

    /** Realized devices with a state description, by path, in tree order. */
    static Map<String, Device> statefulDevices(ObjectTree tree) {
        Map<String, Device> out = new LinkedHashMap<>();
        for (QObject o : tree.all())
            if (o instanceof Device d && o.isRealized() && d.stateDescription() != null) out.put(o.path(), d);
        return out;
    }

    /** RAM regions placed directly in the system address space, where they are placed. */
    static List<MemoryRegion.Placement> systemRam(AddressSpace space) {
        List<MemoryRegion.Placement> out = new ArrayList<>();
        for (MemoryRegion.Placement p : space.root().subregions())
            if (p.region().kind() == MemoryRegion.Kind.RAM) out.add(p);
        return out;
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) { super(out); }

        @Override public void write(int b) throws IOException { out.write(b); count++; }

        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); count += len; }
    }
}
