package org.orrery.machine.loader;

import org.orrery.qom.QomException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed ELF executable (ELF32 or ELF64, little- or big-endian), as far as loading needs: the
 * PT_LOAD program headers and the entry point. Segments are placed at their physical addresses
 * (p_paddr), as a machine's loader does before any MMU is on; the entry point is translated from the
 * virtual to the physical address space through the segment that holds it.
 */
public final class ElfFile {
    private static final int PT_LOAD = 1;

    /** One PT_LOAD program header and its file contents. */
    public record LoadSegment(long virtualAddress, long physicalAddress, byte[] data, long memorySize, int flags) { }

    private final int elfClass;
    private final int machine;
    private final int type;
    private final long entry;
    private final List<LoadSegment> segments;

    private ElfFile(int elfClass, int machine, int type, long entry, List<LoadSegment> segments) {
        this.elfClass = elfClass;
        this.machine = machine;
        this.type = type;
        this.entry = entry;
        this.segments = List.copyOf(segments);
    }

    /** True when {@code data} starts with the ELF magic. */
    public static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    /** 32 or 64. */
    public int bits() { return elfClass == 2 ? 64 : 32; }

    /** e_machine (243 is RISC-V). */
    public int machine() { return machine; }

    /** e_type (2 is an executable, 3 a shared object). */
    public int type() { return type; }

    /** e_entry as written in the file (a virtual address). */
    public long entry() { return entry; }

    public List<LoadSegment> segments() { return segments; }

    /** The entry point as a physical address: translated through the PT_LOAD segment that holds it. */
    public long physicalEntry() {
        for (LoadSegment s : segments) {
            if (Long.compareUnsigned(entry - s.virtualAddress(), Math.max(s.memorySize(), 1)) < 0)
                return entry - s.virtualAddress() + s.physicalAddress();
        }
        return entry;
    }

    /** The loadable image: every PT_LOAD segment at its physical address. */
    public Image image(String name) {
        List<Image.Segment> out = new ArrayList<>();
        for (LoadSegment s : segments) out.add(new Image.Segment(s.physicalAddress(), s.data(), s.memorySize()));
        return new Image(name, out, physicalEntry(), true);
    }

    /** Parses an ELF file; {@code what} names it in errors. */
    public static ElfFile parse(String what, byte[] data) {
        if (!isElf(data)) throw new QomException(what + " is not an ELF file");
        if (data.length < 52) throw bad(what, "truncated header");
        int cls = data[4];
        if (cls != 1 && cls != 2) throw bad(what, "unknown ELF class " + cls);
        ByteOrder order = switch (data[5]) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw bad(what, "unknown data encoding " + data[5]);
        };
        ByteBuffer b = ByteBuffer.wrap(data).order(order);
        boolean is64 = cls == 2;
        if (is64 && data.length < 64) throw bad(what, "truncated header");
        int type = b.getShort(16) & 0xffff;
        int machine = b.getShort(18) & 0xffff;
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xffffffffL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xffff;
        if (type != 2 && type != 3) throw bad(what, "not an executable (e_type " + type + ")");
        if (phnum == 0) throw bad(what, "no program headers");
        if (phentsize < (is64 ? 56 : 32)) throw bad(what, "program header entries too small");
        if (phoff < 0 || phoff + (long) phnum * phentsize > data.length) throw bad(what, "program headers outside the file");
        List<LoadSegment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int h = (int) (phoff + (long) i * phentsize);
            int ptype = b.getInt(h);
            if (ptype != PT_LOAD) continue;
            long offset, vaddr, paddr, filesz, memsz;
            int flags;
            if (is64) {
                flags = b.getInt(h + 4);
                offset = b.getLong(h + 8);
                vaddr = b.getLong(h + 16);
                paddr = b.getLong(h + 24);
                filesz = b.getLong(h + 32);
                memsz = b.getLong(h + 40);
            } else {
                offset = b.getInt(h + 4) & 0xffffffffL;
                vaddr = b.getInt(h + 8) & 0xffffffffL;
                paddr = b.getInt(h + 12) & 0xffffffffL;
                filesz = b.getInt(h + 16) & 0xffffffffL;
                memsz = b.getInt(h + 20) & 0xffffffffL;
                flags = b.getInt(h + 24);
            }
            if (filesz < 0 || offset < 0 || offset + filesz > data.length)
                throw bad(what, "segment " + i + " lies outside the file");
            if (memsz < filesz) throw bad(what, "segment " + i + " has p_memsz below p_filesz");
            if (memsz > Integer.MAX_VALUE) throw bad(what, "segment " + i + " is too large");
            segs.add(new LoadSegment(vaddr, paddr, Arrays.copyOfRange(data, (int) offset, (int) (offset + filesz)), memsz, flags));
        }
        if (segs.isEmpty()) throw bad(what, "no loadable segments");
        return new ElfFile(cls, machine, type, entry, segs);
    }

    private static QomException bad(String what, String why) {
        return new QomException(what + " is not a loadable ELF file: " + why);
    }
}
