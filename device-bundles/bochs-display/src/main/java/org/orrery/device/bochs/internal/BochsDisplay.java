package org.orrery.device.bochs.internal;

import org.orrery.device.pci.PciBar;
import org.orrery.device.pci.PciDevice;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.display.Console;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateField;
import org.orrery.machine.memory.MmioHandler;
import org.orrery.qom.Property;
import org.orrery.qom.QomException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.orrery.device.support.DeviceProperties.size;

/**
 * bochs-display: a PCI function (1234:1111, class 0x0380, as QEMU's) whose BAR 0 is the framebuffer, plain RAM the
 * guest draws into, and whose BAR 2 holds the bochs VBE "DISPI" registers at 0x500 (16 bits each: resolution, depth,
 * enable, virtual width and offsets) and QEMU's extended registers at 0x600 (their size; the framebuffer's byte
 * order). There is no flush: while the machine runs, a timer compares the visible part of the framebuffer with what
 * the console shows, {@value #REFRESH_HZ} times a second of guest time, and reports the rows that changed;
 * front-ends that take a picture at a safe point (screendump) refresh first. 32 and 16 bits a pixel are shown;
 * another depth, or a mode that does not fit the framebuffer, shows the blank placeholder.
 */
final class BochsDisplay extends PciDevice {
    static final String TYPE = "bochs-display";
    static final Property<Long> VGAMEM = size("vgamem", 16L << 20, "framebuffer size (a power of two, 1 MiB to 256 MiB)");

    static final int REFRESH_HZ = 30;
    static final int DISPI = 0x500, QEXT = 0x600, MMIO_SIZE = 4096;
    static final int ID = 0, XRES = 1, YRES = 2, BPP = 3, ENABLE = 4, BANK = 5, VIRT_WIDTH = 6, VIRT_HEIGHT = 7, X_OFFSET = 8,
            Y_OFFSET = 9, VIDEO_MEMORY_64K = 10, REGISTERS = 11;
    static final int ID5 = 0xb0c5, ENABLED = 1;
    static final int LITTLE_ENDIAN = 0x1e1e1e1e, BIG_ENDIAN = 0xbebebebe;

    private final int[] dispi = new int[REGISTERS];
    static final String[] DISPI_NAMES = {"id", "xres", "yres", "bpp", "enable", "bank", "virt-width", "virt-height", "x-offset",
            "y-offset", "video-memory-64k"};

    /**
     * The PCI function, the DISPI registers, the byte order and the framebuffer (device memory, not guest RAM).
     * The console shows the loaded mode and picture at once after a load; the refresh timer is not guest-visible.
     */
    static final StateDescription<BochsDisplay> STATE = describeState();

    private static StateDescription<BochsDisplay> describeState() {
        StateDescription.Builder<BochsDisplay> b = state(TYPE, BochsDisplay.class, 1);
        for (int i = 0; i < REGISTERS; i++) {
            final int r = i;
            b.u16("dispi-" + DISPI_NAMES[i], d -> d.dispi[r], (d, v) -> d.dispi[r] = (int) v);
        }
        return b.u32("endianness", d -> d.endianness & 0xffffffffL, (d, v) -> d.endianness = (int) v)
                .field(new StateField<BochsDisplay>() {
                    @Override public String name() { return "framebuffer"; }
                    @Override public String kind() { return "buffer"; }
                    @Override public Object save(BochsDisplay d) { return d.framebuffer.toArray(ValueLayout.JAVA_BYTE); }

                    @Override public void check(BochsDisplay d, Object v) {
                        if (!(v instanceof byte[] bytes)) throw new StateException("saved as something other than bytes");
                        if (bytes.length != d.framebuffer.byteSize())
                            throw new StateException("saved " + bytes.length + " bytes, this framebuffer has " + d.framebuffer.byteSize());
                    }

                    @Override public void load(BochsDisplay d, Object v) { MemorySegment.copy(MemorySegment.ofArray((byte[]) v), 0, d.framebuffer, 0, d.framebuffer.byteSize()); }
                })
                .afterLoad(BochsDisplay::modeSet)
                .build();
    }

    @Override public StateDescription<?> stateDescription() { return STATE; }
    private int endianness = LITTLE_ENDIAN;
    private MemorySegment framebuffer;
    private Console console;
    private VirtualClock.Timer timer;
    /** What the console shows, in the guest's bytes, to find changed rows; null when the head shows the placeholder. */
    private byte[] shown;
    private int width, height, stride, bytesPerPixel;
    private long offset;

    @Override protected void realizeFunction() {
        long size = get(VGAMEM);
        if (Long.bitCount(size) != 1 || size < (1 << 20) || size > (256L << 20))
            throw new QomException(describe() + ": vgamem must be a power of two from 1 MiB to 256 MiB");
        setIds(0x1234, 0x1111, 0x038000, 2, 0x1af4, 0x1100);
        framebuffer = Arena.ofAuto().allocate(size, 4096);
        setBar(0, new PciBar(PciBar.Kind.MEMORY32, true, MemoryRegion.ram(TYPE + ".vram", framebuffer)));
        setBar(2, new PciBar(PciBar.Kind.MEMORY32, false, MemoryRegion.mmio(TYPE + ".mmio", MMIO_SIZE, new Registers())));
        console = new Console(name(), 0);
        console.setRefresher(this::refresh);
        Consoles.of(tree()).register(console);
        timer = machine().clock().newTimer(this::tick);
        resetRegisters();
        timer.armAt(machine().clock().nanos() + 1_000_000_000L / REFRESH_HZ);
    }

    @Override protected void unrealizeFunction() {
        if (timer != null) timer.cancel();
        Consoles.of(tree()).unregister(console);
    }

    @Override protected void resetFunction() {
        resetRegisters();
        framebuffer.fill((byte) 0);
        refresh();
    }

    private void resetRegisters() {
        java.util.Arrays.fill(dispi, 0);
        dispi[ID] = ID5;
        dispi[VIDEO_MEMORY_64K] = (int) (framebuffer.byteSize() >> 16);
        endianness = LITTLE_ENDIAN;
    }

    private void tick() {
        refresh();
        timer.armAt(machine().clock().nanos() + 1_000_000_000L / REFRESH_HZ);
    }

    /** The DISPI and QEMU-extension registers in BAR 2 (the VGA ports at 0x400 and the EDID at 0 read as zero). */
    private final class Registers implements MmioHandler {
        @Override public long read(long at, int size) {
            if (at >= DISPI && at < DISPI + 2 * REGISTERS && size == 2) return dispi[(int) (at - DISPI) / 2];
            if (at == QEXT && size == 4) return 8;
            if (at == QEXT + 4 && size == 4) return endianness & 0xffffffffL;
            return 0;
        }

        @Override public void write(long at, int size, long value) {
            if (at >= DISPI && at < DISPI + 2 * REGISTERS && size == 2) {
                int index = (int) (at - DISPI) / 2;
                if (index != ID && index != VIDEO_MEMORY_64K) dispi[index] = (int) value & 0xffff;
                if (index == ENABLE || index == XRES || index == YRES || index == BPP) modeSet();
            } else if (at == QEXT + 4 && size == 4) {
                endianness = (int) value == BIG_ENDIAN ? BIG_ENDIAN : LITTLE_ENDIAN;
            } else if (!(at >= 0x400 && at < 0x420)) {
                guestLog().guestError("write " + at, "write of " + size + " bytes at 0x" + Long.toHexString(at) + " of its registers");
            }
        }
    }

    /** The guest changed the mode: shows the new one at once (a placeholder when it is off or cannot be shown). */
    private void modeSet() {
        shown = null;
        refresh();
    }

    /** Brings the console up to date with the framebuffer (called by the timer, and by screendump before its picture). */
    void refresh() {
        if (!mode()) {
            if (shown != null || console.surface().width() != Console.BLANK_WIDTH) console.blank();
            shown = null;
            return;
        }
        Surface s = console.surface();
        boolean all = shown == null;
        if (all) shown = new byte[width * height * bytesPerPixel];
        if (s.width() != width || s.height() != height) {
            s = new Surface(width, height);
            console.replaceSurface(s);
            all = true;
        }
        copyRows(s, 0, height, all);
    }

    /** Copies the rows that differ from what is shown (all of them when {@code all}); reports the changed band. */
    private void copyRows(Surface s, int from, int to, boolean all) {
        int rowBytes = width * bytesPerPixel;
        MemorySegment shownRow = MemorySegment.ofArray(shown);
        int first = -1, last = -1;
        int[] pixels = new int[width];
        for (int y = from; y < to; y++) {
            long at = offset + (long) y * stride;
            MemorySegment row = framebuffer.asSlice(at, rowBytes);
            MemorySegment old = shownRow.asSlice((long) y * rowBytes, rowBytes);
            if (!all && row.mismatch(old) < 0) continue;
            MemorySegment.copy(row, 0, old, 0, rowBytes);
            convert(row, pixels);
            s.write(0, y, width, 1, pixels, 0, width);
            if (first < 0) first = y;
            last = y;
        }
        if (first >= 0) console.updated(0, first, width, last - first + 1);
    }

    private void convert(MemorySegment row, int[] out) {
        boolean big = endianness == BIG_ENDIAN;
        if (bytesPerPixel == 4) {
            for (int x = 0; x < out.length; x++) {
                int v = row.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * x);
                out[x] = (big ? Integer.reverseBytes(v) : v) & 0xffffff;
            }
        } else {
            for (int x = 0; x < out.length; x++) {
                int v = row.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * x) & 0xffff;
                if (big) v = Short.reverseBytes((short) v) & 0xffff;
                int r = (v >> 11) & 31, g = (v >> 5) & 63, b = v & 31;
                out[x] = (r * 255 / 31) << 16 | (g * 255 / 63) << 8 | b * 255 / 31;
            }
        }
    }

    /** Reads the mode from the registers; false when the display is off or the mode cannot be shown. */
    private boolean mode() {
        if ((dispi[ENABLE] & ENABLED) == 0) return false;
        int bpp = dispi[BPP];
        if (bpp != 32 && bpp != 16) return false;
        int w = dispi[XRES], h = dispi[YRES];
        if (w < 1 || h < 1 || w > Surface.MAX_SIDE || h > Surface.MAX_SIDE) return false;
        int bytes = bpp / 8;
        long virtualWidth = Math.max(w, dispi[VIRT_WIDTH]);
        long rowStride = virtualWidth * bytes;
        long start = dispi[Y_OFFSET] * rowStride + (long) dispi[X_OFFSET] * bytes;
        if (start + (h - 1) * rowStride + (long) w * bytes > framebuffer.byteSize()) {
            guestLog().guestError("mode", "mode " + w + "x" + h + "x" + bpp + " does not fit the " + framebuffer.byteSize() + "-byte framebuffer");
            return false;
        }
        if (shown != null && (w != width || h != height || bytes != bytesPerPixel || start != offset || rowStride != stride)) shown = null;
        width = w;
        height = h;
        bytesPerPixel = bytes;
        stride = (int) rowStride;
        offset = start;
        return true;
    }
}
