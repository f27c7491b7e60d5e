package org.orrery.machine.loader;

import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.BusError;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A boot image planned for loading: the pieces it puts at physical addresses, and its entry point.
 * Planning and writing are separate so a board can check every image against RAM and against each
 * other before anything touches guest memory.
 *
 * @param name     what errors call it ("firmware", "kernel", or the file name)
 * @param segments the pieces, in file order
 * @param entry    the physical entry point (the load address for raw images)
 * @param elf      whether the image came from an ELF file
 */
public record Image(String name, List<Segment> segments, long entry, boolean elf) {
    /**
     * A piece of an image: {@code data} at {@code address}, followed by zeroes up to {@code memorySize}
     * (an ELF segment's .bss).
     */
    public record Segment(long address, byte[] data, long memorySize) {
        public Segment {
            if (memorySize < data.length) throw new IllegalArgumentException("memory size below file size");
        }

        /** The first address after the segment. */
        public long end() { return address + memorySize; }
    }

    public Image {
        segments = List.copyOf(segments);
    }

    /** A raw binary placed at {@code address}; its entry is its first byte. */
    public static Image raw(String name, byte[] data, long address) {
        return new Image(name, List.of(new Segment(address, data, data.length)), address, false);
    }

    /** Reads a file: an ELF (loaded at its physical addresses) or a raw image placed at {@code rawAddress}. */
    public static Image load(String name, Path file, long rawAddress) {
        byte[] data = readFile(name, file);
        if (ElfFile.isElf(data)) return ElfFile.parse(name + " '" + file + "'", data).image(name);
        return raw(name, data, rawAddress);
    }

    /** How much of something that is not a regular file (a pipe, /dev/zero) is read before it is refused. */
    private static final int STREAM_LIMIT = 64 << 20;

    /** Reads a whole file, with errors that name the image and the path. */
    public static byte[] readFile(String name, Path file) {
        try {
            if (Files.isRegularFile(file)) return Files.readAllBytes(file);
            if (Files.isDirectory(file)) throw new QomException("could not load " + name + " '" + file + "': it is a directory");
            // a stream has no size to check first: read a bounded amount, so /dev/zero cannot fill the heap
            try (var in = Files.newInputStream(file)) {
                byte[] data = in.readNBytes(STREAM_LIMIT + 1);
                if (data.length > STREAM_LIMIT)
                    throw new QomException("could not load " + name + " '" + file + "': not a regular file, and longer than "
                            + (STREAM_LIMIT >> 20) + " MiB");
                return data;
            }
        } catch (NoSuchFileException e) {
            throw new QomException("could not load " + name + " '" + file + "': no such file");
        } catch (IOException e) {
            throw new QomException("could not load " + name + " '" + file + "': " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new QomException("could not load " + name + " '" + file + "': too large");
        }
    }

    /** The lowest address the image occupies. */
    public long low() {
        long lo = -1;
        for (Segment s : segments) if (s.memorySize() > 0 && Long.compareUnsigned(s.address(), lo) < 0) lo = s.address();
        return lo == -1 ? entry : lo;
    }

    /** The first address after the image. */
    public long high() {
        long hi = 0;
        for (Segment s : segments) if (Long.compareUnsigned(s.end(), hi) > 0) hi = s.end();
        return hi;
    }

    /** Total bytes the image occupies in memory. */
    public long size() {
        long n = 0;
        for (Segment s : segments) n += s.memorySize();
        return n;
    }

    /** Throws unless every segment lies inside [base, base + size). */
    public void requireWithin(long base, long size, String regionName) {
        for (Segment s : segments) {
            if (s.memorySize() == 0) continue;
            if (Long.compareUnsigned(s.address(), base) < 0 || Long.compareUnsigned(s.end(), base + size) > 0
                    || Long.compareUnsigned(s.end(), s.address()) < 0)
                throw new QomException(String.format("%s (0x%x..0x%x, %d bytes) does not fit in %s (0x%x..0x%x)",
                        name, s.address(), s.end() - 1, s.memorySize(), regionName, base, base + size - 1));
        }
    }

    /** Throws if any piece of this image overlaps a piece of {@code other}. */
    public void requireDisjoint(Image other) {
        for (Segment a : segments)
            for (Segment b : other.segments) {
                if (a.memorySize() == 0 || b.memorySize() == 0) continue;
                if (Long.compareUnsigned(a.address(), b.end()) < 0 && Long.compareUnsigned(b.address(), a.end()) < 0)
                    throw new QomException(String.format("%s (0x%x..0x%x) overlaps %s (0x%x..0x%x)",
                            name, a.address(), a.end() - 1, other.name, b.address(), b.end() - 1));
            }
    }

    /** Writes the image into {@code memory} (ROM included), zero-filling .bss. */
    public void writeTo(AddressSpace memory) {
        for (Segment s : segments) {
            try {
                if (s.data().length > 0) memory.writeBytes(s.address(), s.data(), 0, s.data().length);
                long zeroes = s.memorySize() - s.data().length;
                byte[] zero = new byte[(int) Math.min(zeroes, 1 << 20)];
                for (long done = 0; done < zeroes; ) {
                    int n = (int) Math.min(zero.length, zeroes - done);
                    memory.writeBytes(s.address() + s.data().length + done, zero, 0, n);
                    done += n;
                }
            } catch (BusError e) {
                throw new QomException(String.format("could not load %s at 0x%x: nothing is mapped at 0x%x", name, s.address(), e.address()));
            }
        }
    }

    /** A copy of this image under another name (for error messages). */
    public Image named(String newName) { return new Image(newName, segments, entry, elf); }

    /** Segments sorted by address (helper for listings). */
    public List<Segment> sortedSegments() {
        List<Segment> out = new ArrayList<>(segments);
        out.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return out;
    }
}
