package org.orrery.device.bochs.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.pci.PciDevice;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.display.Console;
import org.orrery.machine.display.ConsoleListener;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.QObject;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A guest's view of bochs-display on the PCIe host: BARs programmed through ECAM, DISPI registers, pixels in BAR 0. */
class BochsDisplayTest {
    static final long ECAM = 0x30000000L, FB = 0x40000000L, MMIO = 0x41000000L;
    TestMachine m;
    AddressSpace bus;
    PciDevice vga;
    final List<String> heard = new ArrayList<>();

    @BeforeEach void setUp() {
        m = new TestMachine(ComponentScan.typeProviders());
        bus = m.systemMemory();
        QObject host = m.create("/machine/soc/pci@30000000", "gpex-pcihost");
        Map.of("addr", "0x30000000", "irq", "32", "pio-base", "0x3000000", "pio-size", "0x10000", "mmio-base", "0x40000000",
                "mmio-size", "0x40000000").forEach((k, v) -> host.setProperty(k, Value.ofText(k, v)));
        host.realize();
        vga = (PciDevice) m.create("/machine/peripheral/vga", "bochs-display");
        vga.realize();
        cfg(0x10, 4, FB);
        cfg(0x18, 4, MMIO);
        cfg(0x04, 2, 2);   // memory decoding on
        console().addListener(new ConsoleListener() {
            @Override public void surfaceChanged(Console c, Surface s) { heard.add("size " + s.width() + "x" + s.height()); }

            @Override public void updated(Console c, int x, int y, int w, int h) { heard.add(w + "x" + h + "+" + x + "+" + y); }
        });
    }

    void cfg(int reg, int size, long v) { bus.write(ECAM + ((long) vga.devfn() << 12) + reg, size, v); }
    long cfgRead(int reg, int size) { return bus.read(ECAM + ((long) vga.devfn() << 12) + reg, size); }
    void dispi(int index, int v) { bus.write(MMIO + 0x500 + 2L * index, 2, v); }
    int dispi(int index) { return (int) bus.read(MMIO + 0x500 + 2L * index, 2); }
    Console console() { return Consoles.of(m.tree()).find("vga", 0).orElseThrow(); }

    void mode(int w, int h, int bpp) {
        dispi(BochsDisplay.ENABLE, 0);
        dispi(BochsDisplay.XRES, w);
        dispi(BochsDisplay.YRES, h);
        dispi(BochsDisplay.BPP, bpp);
        dispi(BochsDisplay.VIRT_WIDTH, w);
        dispi(BochsDisplay.ENABLE, 0x41);
    }

    @Test void identifiesItselfAsQemusDoes() {
        assertEquals(0x1234, cfgRead(0, 2));
        assertEquals(0x1111, cfgRead(2, 2));
        assertEquals(0x038000, cfgRead(8, 4) >>> 8);
        assertEquals(0xb0c5, dispi(BochsDisplay.ID));
        assertEquals(256, dispi(BochsDisplay.VIDEO_MEMORY_64K), "16 MiB");
        assertEquals(8, bus.read(MMIO + 0x600, 4), "size of QEMU's extended registers");
        assertEquals(0x1e1e1e1e, bus.read(MMIO + 0x604, 4), "little-endian framebuffer");
    }

    @Test void whatTheGuestWritesIntoBar0IsShownAfterTheNextRefresh() {
        mode(320, 200, 32);
        assertEquals(320, console().surface().width());
        for (int y = 0; y < 200; y++) for (int x = 0; x < 320; x++) bus.write(FB + 4L * (y * 320 + x), 4, x << 16 | y << 8 | 0x42);
        heard.clear();
        m.manualClock().advance(1_000_000_000L / BochsDisplay.REFRESH_HZ);
        assertEquals(List.of("320x200+0+0"), heard);
        int[] px = console().surface().snapshot();
        assertEquals(100 << 16 | 50 << 8 | 0x42, px[50 * 320 + 100] & 0xffffff);
        bus.write(FB + 4L * (120 * 320 + 7), 4, 0xffffff);
        bus.write(FB + 4L * (121 * 320 + 9), 4, 0xffffff);
        heard.clear();
        m.manualClock().advance(1_000_000_000L / BochsDisplay.REFRESH_HZ);
        assertEquals(List.of("320x2+0+120"), heard, "only the rows that changed");
        m.manualClock().advance(1_000_000_000L / BochsDisplay.REFRESH_HZ);
        assertEquals(List.of("320x2+0+120"), heard, "nothing changed since");
    }

    @Test void sixteenBitsAndAPanOffsetAreHonoured() {
        dispi(BochsDisplay.ENABLE, 0);
        dispi(BochsDisplay.XRES, 64);
        dispi(BochsDisplay.YRES, 32);
        dispi(BochsDisplay.BPP, 16);
        dispi(BochsDisplay.VIRT_WIDTH, 64);
        dispi(BochsDisplay.Y_OFFSET, 32);   // the second page
        bus.write(FB + 64 * 2 * 32 + 2 * 5, 2, 0xf800);   // pure red at (5, 0) of the second page
        dispi(BochsDisplay.ENABLE, 1);
        console().refresh();
        assertEquals(0xff0000, console().surface().snapshot()[5]);
    }

    @Test void aModeThatDoesNotFitOrAnUnknownDepthShowsTheBlankHead() {
        mode(16384, 16384, 32);
        assertEquals(Console.BLANK_WIDTH, console().surface().width(), "1 GiB does not fit 16 MiB");
        mode(320, 200, 24);
        assertEquals(Console.BLANK_WIDTH, console().surface().width(), "24 bits a pixel is not shown");
        mode(320, 200, 32);
        assertEquals(320, console().surface().width());
        dispi(BochsDisplay.ENABLE, 0);
        assertEquals(Console.BLANK_WIDTH, console().surface().width(), "switched off");
        dispi(BochsDisplay.ID, 0x1234);
        assertEquals(0xb0c5, dispi(BochsDisplay.ID), "read-only");
    }
}
