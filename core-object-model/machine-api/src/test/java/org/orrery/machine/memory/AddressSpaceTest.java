package org.orrery.machine.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The memory map: regions placed in containers, resolved by priority into a flat view, and accessed through it. */
class AddressSpaceTest {
    final MemoryRegion root = MemoryRegion.container("system", 1L << 40);
    final AddressSpace bus = new AddressSpace("system", root);

    static MemorySegment bytes(long n) { return Arena.ofAuto().allocate(n, 8); }

    /** An MMIO handler that records its accesses and answers the offset. */
    static final class Recorder implements MmioHandler {
        final List<String> log = new ArrayList<>();
        @Override public long read(long offset, int size) { log.add("r" + offset + "/" + size); return offset; }
        @Override public void write(long offset, int size, long value) { log.add("w" + offset + "/" + size + "=" + Long.toHexString(value)); }
    }

    @Test void ramIsLittleEndianAndKeepsWhatIsWritten() {
        root.addSubregion(0x1000, MemoryRegion.ram("ram", bytes(0x1000)));
        bus.write(0x1000, 8, 0x1122334455667788L);
        assertEquals(0x88, bus.read(0x1000, 1), "the lowest address holds the least significant byte");
        assertEquals(0x5566, bus.read(0x1002, 2));
        assertEquals(0x11223344L, bus.read(0x1004, 4));
        assertEquals(0x1122334455667788L, bus.read(0x1000, 8));
        bus.write(0x1003, 4, 0xdeadbeefL); // unaligned
        assertEquals(0xdeadbeefL, bus.read(0x1003, 4));
    }

    @Test void nothingMappedIsABusErrorAsIsAnAccessRunningOffTheEnd() {
        root.addSubregion(0x1000, MemoryRegion.ram("ram", bytes(0x100)));
        BusError e = assertThrows(BusError.class, () -> bus.read(0x2000, 4));
        assertEquals(0x2000, e.address());
        assertThrows(BusError.class, () -> bus.write(0x10fe, 4, 0));
        assertThrows(BusError.class, () -> bus.readBytes(0x10f0, new byte[0x20], 0, 0x20));
    }

    @Test void romIgnoresGuestStoresButLoadersWriteIt() {
        root.addSubregion(0, MemoryRegion.rom("rom", bytes(0x100)));
        bus.write(0x10, 4, 0x12345678);
        assertEquals(0, bus.read(0x10, 4));
        bus.writeBytes(0x10, new byte[]{1, 2, 3, 4}, 0, 4);
        assertEquals(0x04030201L, bus.read(0x10, 4));
    }

    @Test void mmioSeesOffsetsInItsRegion() {
        Recorder dev = new Recorder();
        root.addSubregion(0x10000000L, MemoryRegion.mmio("dev", 0x100, dev));
        assertEquals(0x8, bus.read(0x10000008L, 4));
        bus.write(0x10000010L, 2, 0xabcd);
        bus.writeBytes(0x10000020L, new byte[]{5, 6}, 0, 2); // byte by byte
        assertEquals(List.of("r8/4", "w16/2=abcd", "w32/1=5", "w33/1=6"), dev.log);
    }

    @Test void higherPriorityRegionsCoverLowerOnesAndUncoverThemWhenRemoved() {
        MemoryRegion low = MemoryRegion.ram("low", bytes(0x1000));
        Recorder dev = new Recorder();
        MemoryRegion high = MemoryRegion.mmio("high", 0x100, dev);
        root.addSubregion(0x0, low, 0);
        root.addSubregion(0x800, high, 1);
        bus.write(0x7fc, 4, 0x11111111);
        bus.write(0x900, 4, 0x22222222); // RAM again past the window
        assertEquals(0x0, bus.read(0x800, 4));
        assertEquals(0x11111111, bus.read(0x7fc, 4));
        assertEquals(0x22222222, bus.read(0x900, 4));
        List<Section> sections = bus.view().sections();
        assertEquals(3, sections.size(), "RAM below, the window, RAM above: " + sections);
        assertEquals(0x900, sections.get(2).regionOffset(), "the upper RAM piece keeps its offset in the region");
        root.removeSubregion(high);
        bus.write(0x800, 4, 0x33333333);
        assertEquals(0x33333333, bus.read(0x800, 4));
        assertEquals(List.of("r0/4"), dev.log);
    }

    @Test void aliasesAndNestedContainersResolveToTheirTarget() {
        MemoryRegion ram = MemoryRegion.ram("ram", bytes(0x1000));
        root.addSubregion(0x10000, ram);
        root.addSubregion(0x20000, MemoryRegion.alias("window", ram, 0x800, 0x100));
        MemoryRegion inner = MemoryRegion.container("inner", 0x1000);
        inner.addSubregion(0x40, MemoryRegion.ram("inner-ram", bytes(0x40)));
        root.addSubregion(0x30000, inner);
        bus.write(0x10804, 4, 0xcafef00dL);
        assertEquals(0xcafef00dL, bus.read(0x20004, 4), "the alias shows the target at its offset");
        bus.write(0x30040, 8, -1L);
        assertEquals(-1L, bus.read(0x30040, 8));
        assertThrows(BusError.class, () -> bus.read(0x30000, 1), "a container's holes are unmapped");
        assertThrows(BusError.class, () -> bus.read(0x20100, 1), "the alias ends at its size");
    }

    @Test void bulkCopiesCrossRegionBoundaries() {
        root.addSubregion(0x1000, MemoryRegion.ram("a", bytes(0x10)));
        root.addSubregion(0x1010, MemoryRegion.ram("b", bytes(0x10)));
        byte[] src = new byte[0x18];
        for (int i = 0; i < src.length; i++) src[i] = (byte) i;
        bus.writeBytes(0x1004, src, 0, src.length);
        byte[] back = new byte[0x18];
        bus.readBytes(0x1004, back, 0, back.length);
        assertArrayEquals(src, back);
        assertEquals(0x0f0e0d0cL, bus.read(0x1010, 4), "the part past the first region went to the second");
    }

    @Test void topologyListenersHearEveryChangeUntilRemoved() {
        int[] heard = {0};
        Runnable l = () -> heard[0]++;
        bus.addTopologyListener(l);
        MemoryRegion r = MemoryRegion.ram("r", bytes(0x10));
        root.addSubregion(0, r);
        root.removeSubregion(r);
        assertEquals(2, heard[0]);
        bus.removeTopologyListener(l);
        root.addSubregion(0, r);
        assertEquals(2, heard[0]);
    }

    @Test void loadAndStoreAreLittleEndian() {
        MemorySegment s = bytes(16);
        AddressSpace.store(s, 1, 4, 0x01020304);
        assertEquals(0x04, AddressSpace.load(s, 1, 1));
        assertEquals(0x01020304, AddressSpace.load(s, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> AddressSpace.load(s, 0, 3));
    }
}
