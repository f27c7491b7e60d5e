package org.orrery.device.virtiogpu.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.device.testing.ComponentScan;
import org.orrery.device.testing.SplitRing;
import org.orrery.device.testing.TestMachine;
import org.orrery.machine.display.Console;
import org.orrery.machine.display.ConsoleListener;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.qom.GlobalProperties;
import org.orrery.qom.QObject;
import org.orrery.qom.Value;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Plays the virtio-gpu driver over virtio-mmio (modern): control commands as virtio 1.2 section 5.7 lays them out,
 * the pixels seen through the console layer, and every kind of bad request answered with an error response.
 */
class VirtioGpuTest {
    static final long T0 = 0x10001000L, RAM = 0x80000000L, RAM_SIZE = 8 << 20;
    static final long DESC = RAM, AVAIL = RAM + 0x1000, USED = RAM + 0x2000, REQ = RAM + 0x3000, RESP = RAM + 0x4000;
    static final long FB = RAM + 0x100000;
    static final int QSIZE = 16, W = 64, H = 48;
    TestMachine m;
    AddressSpace bus;
    SplitRing ring;
    int availIdx;
    VirtioGpu gpu;

    @BeforeEach void setUp() {
        m = new TestMachine(ComponentScan.typeProviders());
        bus = m.systemMemory();
        ring = new SplitRing(bus);
        m.mapRam(RAM, RAM_SIZE);
        m.tree().globals().add(new GlobalProperties.Global("virtio-mmio", "force-legacy", "off"));
        QObject t = m.create("/machine/soc/virtio_mmio@" + Long.toHexString(T0), "virtio-mmio");
        t.setProperty("addr", Value.ofText("addr", "" + T0));
        t.setProperty("irq", Value.ofText("irq", "1"));
        t.realize();
        gpu = (VirtioGpu) m.create("/machine/peripheral/gpu0", "virtio-gpu-device");
        gpu.setProperty("max_hostmem", Value.ofText("max_hostmem", "1M"));
        gpu.realize();
        initialize();
    }

    long r(int off) { return bus.read(T0 + off, 4); }
    void w(int off, long v) { bus.write(T0 + off, 4, v); }

    void initialize() {
        assertEquals(16, r(0x08), "device id");
        w(0x70, 0);
        w(0x70, 1);
        w(0x70, 3);
        w(0x24, 1);
        w(0x20, 1);
        w(0x24, 0);
        w(0x20, 0);
        w(0x70, 11);
        w(0x30, 0);
        w(0x38, QSIZE);
        w(0x80, DESC); w(0x84, 0);
        w(0x90, AVAIL); w(0x94, 0);
        w(0xa0, USED); w(0xa4, 0);
        w(0x44, 1);
        w(0x70, 15);
        assertEquals(1, r(0x100 + 8), "num_scanouts in the configuration space");
    }

    /** Sends {@code request} (bytes) on the control queue; returns the response's bytes. */
    ByteBuffer command(byte[] request, int responseLength) {
        bus.writeBytes(REQ, request, 0, request.length);
        bus.writeBytes(RESP, new byte[responseLength], 0, responseLength);
        ring.descriptor(DESC, 0, REQ, request.length, SplitRing.NEXT, 1);
        ring.descriptor(DESC, 1, RESP, responseLength, SplitRing.WRITE, 0);
        ring.offer(AVAIL, QSIZE, availIdx++, 0);
        w(0x50, 0);
        assertEquals(availIdx & 0xffff, bus.read(USED + 2, 2), "the device returned the request");
        byte[] out = new byte[responseLength];
        bus.readBytes(RESP, out, 0, responseLength);
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer req(int type, int bodyLength) {
        return ByteBuffer.allocate(24 + bodyLength).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    int send(ByteBuffer request) { return command(request.array(), 24).getInt(0); }

    int create(int id, int format, int w, int h) {
        return send(req(0x101, 16).putInt(24, id).putInt(28, format).putInt(32, w).putInt(36, h));
    }

    int attach(int id, long... addrLen) {
        ByteBuffer b = req(0x106, 8 + 16 * (addrLen.length / 2)).putInt(24, id).putInt(28, addrLen.length / 2);
        for (int i = 0; i < addrLen.length; i += 2) b.putLong(32 + 8 * i, addrLen[i]).putInt(40 + 8 * i, (int) addrLen[i + 1]);
        return send(b);
    }

    int scanout(int scanout, int id, int x, int y, int w, int h) {
        return send(req(0x103, 24).putInt(24, x).putInt(28, y).putInt(32, w).putInt(36, h).putInt(40, scanout).putInt(44, id));
    }

    int transfer(int id, int x, int y, int w, int h, long offset) {
        return send(req(0x105, 32).putInt(24, x).putInt(28, y).putInt(32, w).putInt(36, h).putLong(40, offset).putInt(48, id));
    }

    int flush(int id, int x, int y, int w, int h) {
        return send(req(0x104, 24).putInt(24, x).putInt(28, y).putInt(32, w).putInt(36, h).putInt(40, id));
    }

    static int pattern(int x, int y) { return (x * 4) << 16 | (y * 5) << 8 | ((x ^ y) & 0xff); }

    /** A W x H picture in guest RAM at FB, in the byte order of {@code format}. */
    void drawInto(GpuFormat format) {
        byte[] fb = new byte[W * H * 4];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int p = pattern(x, y), at = (y * W + x) * 4;
                fb[at + format.red] = (byte) (p >> 16);
                fb[at + format.green] = (byte) (p >> 8);
                fb[at + format.blue] = (byte) p;
            }
        bus.writeBytes(FB, fb, 0, fb.length);
    }

    Console console() { return Consoles.of(m.tree()).primary().orElseThrow(); }

    @Test void displayInfoOffersScanoutZeroAtXresByYres() {
        ByteBuffer r = command(req(0x100, 0).array(), 24 + 16 * 24);
        assertEquals(0x1101, r.getInt(0));
        assertEquals(1280, r.getInt(24 + 8));
        assertEquals(800, r.getInt(24 + 12));
        assertEquals(1, r.getInt(24 + 16), "enabled");
        assertEquals(0, r.getInt(24 + 24 + 16), "scanout 1 is not there");
    }

    @Test void everyFormatReachesTheConsolePixelExact() {
        for (GpuFormat f : GpuFormat.values()) {
            int id = 10 + f.ordinal();
            drawInto(f);
            assertEquals(0x1100, create(id, f.code, W, H), f.name());
            assertEquals(0x1100, attach(id, FB, W * H * 4));
            assertEquals(0x1100, scanout(0, id, 0, 0, W, H));
            assertEquals(0x1100, transfer(id, 0, 0, W, H, 0));
            assertEquals(0x1100, flush(id, 0, 0, W, H));
            Surface s = console().surface();
            assertEquals(W, s.width());
            assertEquals(H, s.height());
            int[] px = s.snapshot();
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    assertEquals(pattern(x, y), px[y * W + x], f + " pixel " + x + "," + y);
        }
    }

    @Test void aPartialTransferAndFlushUpdateOnlyTheirRectangleAndListenersHearIt() {
        drawInto(GpuFormat.B8G8R8X8);
        create(1, GpuFormat.B8G8R8X8.code, W, H);
        attach(1, FB, 1000, FB + 1000, W * H * 4 - 1000);      // two pieces, split mid-pixel
        List<String> heard = new ArrayList<>();
        console().addListener(new ConsoleListener() {
            @Override public void surfaceChanged(Console c, Surface s) { heard.add("size " + s.width() + "x" + s.height()); }

            @Override public void updated(Console c, int x, int y, int w, int h) { heard.add(w + "x" + h + "+" + x + "+" + y); }
        });
        scanout(0, 1, 0, 0, W, H);                             // shows the resource as it is: black
        assertEquals(0, console().surface().snapshot()[5 * W + 7]);
        assertEquals(0x1100, transfer(1, 4, 3, 20, 10, (3L * W + 4) * 4));
        assertEquals(0x1100, flush(1, 4, 3, 20, 10));
        int[] px = console().surface().snapshot();
        assertEquals(pattern(7, 5), px[5 * W + 7], "inside the rectangle");
        assertEquals(pattern(23, 12), px[12 * W + 23], "its last pixel");
        assertEquals(0, px[13 * W + 23], "below it");
        assertEquals(0, px[5 * W + 24], "right of it");
        assertEquals(List.of("size 64x48", "64x48+0+0", "20x10+4+3"), heard);
    }

    @Test void aScanoutOfPartOfAResourceShowsThatPart() {
        drawInto(GpuFormat.X8R8G8B8);
        create(1, GpuFormat.X8R8G8B8.code, W, H);
        attach(1, FB, W * H * 4);
        transfer(1, 0, 0, W, H, 0);
        assertEquals(0x1100, scanout(0, 1, 8, 4, 32, 20));
        Surface s = console().surface();
        assertEquals(32, s.width());
        assertEquals(20, s.height());
        assertEquals(pattern(8 + 31, 4 + 19), s.snapshot()[19 * 32 + 31]);
    }

    @Test void badRequestsGetErrorResponsesAndChangeNothing() {
        drawInto(GpuFormat.B8G8R8X8);
        assertEquals(0x1100, create(1, GpuFormat.B8G8R8X8.code, W, H));
        assertEquals(0x1203, create(1, GpuFormat.B8G8R8X8.code, W, H), "the id is taken");
        assertEquals(0x1203, create(0, GpuFormat.B8G8R8X8.code, W, H), "id 0");
        assertEquals(0x1205, create(2, 99, W, H), "unknown format");
        assertEquals(0x1205, create(2, 2, 0, H), "no width");
        assertEquals(0x1201, create(2, 2, 16384, 16384), "a gigabyte: past max_hostmem");
        assertEquals(0x1201, create(2, 2, -1, -1), "4 billion each way");
        assertEquals(0x1200, transfer(1, 0, 0, W, H, 0), "no backing yet");
        assertEquals(0x1200, attach(1, 0x1000, 4096), "backing outside RAM");
        assertEquals(0x1200, attach(1, RAM + RAM_SIZE - 100, 4096), "backing running past the end of RAM");
        assertEquals(0x1100, attach(1, FB, W * H * 4));
        assertEquals(0x1200, attach(1, FB, W * H * 4), "already attached");
        assertEquals(0x1205, transfer(1, 1, 0, W, H, 0), "rectangle one pixel past the right edge");
        assertEquals(0x1205, transfer(1, 0, 0, -1, 2, 0), "width that overflows");
        assertEquals(0x1205, transfer(1, 0, 0, W, H, 4), "reads past the backing");
        assertEquals(0x1205, flush(1, 0, 40, W, H), "flush below the resource");
        assertEquals(0x1203, flush(7, 0, 0, 1, 1), "no resource 7");
        assertEquals(0x1202, scanout(1, 1, 0, 0, W, H), "no scanout 1");
        assertEquals(0x1202, scanout(-1, 1, 0, 0, W, H), "scanout 4294967295");
        assertEquals(0x1205, scanout(0, 1, 0, 0, 8, 8), "smaller than 16x16");
        assertEquals(0x1205, scanout(0, 1, 60, 0, W, H), "outside the resource");
        assertEquals(0x1200, send(req(0x999, 0)), "no such command");
        assertEquals(0x1200, send(req(0x0200, 0)), "3D commands are not offered");
        assertEquals(0x1200, command(new byte[] {1, 1, 0, 0}, 24).getInt(0), "shorter than a header");
        assertEquals(0x1200, command(req(0x101, 4).array(), 24).getInt(0), "create without its body");
        ByteBuffer tooMany = req(0x106, 8).putInt(24, 1).putInt(28, 1 << 20);
        assertEquals(0x1200, send(tooMany), "a million backing entries");
        assertEquals(Console.BLANK_WIDTH, console().surface().width(), "nothing was shown");
        assertEquals(1, gpu.resourceCount());
    }

    @Test void unrefFreesTheBudgetAndSwitchesTheScanoutOff() {
        create(1, 2, W, H);
        attach(1, FB, W * H * 4);
        scanout(0, 1, 0, 0, W, H);
        assertTrue(gpu.hostMemoryUsed() >= W * H * 4);
        assertEquals(0x1100, send(req(0x102, 8).putInt(24, 1)));
        assertEquals(0, gpu.hostMemoryUsed());
        assertEquals(Console.BLANK_WIDTH, console().surface().width());
        assertEquals(0x1203, send(req(0x102, 8).putInt(24, 1)), "gone already");
        // the budget is whole again: a resource of nearly max_hostmem (1 MiB) fits
        assertEquals(0x1100, create(2, 2, 512, 500));
        assertEquals(0x1201, create(3, 2, 64, 128), "and then not 32 KiB more");
    }

    @Test void manyTinyResourcesCannotExhaustTheHost() {
        int made = 0;
        for (int id = 1; id <= 1000; id++) if (create(id, 2, 1, 1) == 0x1100) made++;
        assertEquals(256, made, "each costs at least a page of the 1 MiB budget");
    }

    @Test void aFenceIsEchoed() {
        ByteBuffer q = req(0x100, 0).putInt(4, 1).putLong(8, 0x1234_5678_9abcL).putInt(16, 3);
        ByteBuffer r = command(q.array(), 24 + 16 * 24);
        assertEquals(1, r.getInt(4));
        assertEquals(0x1234_5678_9abcL, r.getLong(8));
    }

    @Test void randomCommandsNeverThrowAndLeaveTheDeviceWorking() {
        Random rnd = new Random(25);
        int[] types = {0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x10a, rnd.nextInt()};
        for (int i = 0; i < 3000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            if (b.length >= 4) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, types[rnd.nextInt(types.length)]);
            if (b.length >= 28 && rnd.nextBoolean()) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 1 + rnd.nextInt(4));
            int type = command(b.length == 0 ? new byte[1] : b, 24 + 16 * 24).getInt(0);
            assertTrue(type >= 0x1100 && type <= 0x1205, "response type 0x" + Integer.toHexString(type));
            assertTrue(gpu.hostMemoryUsed() <= 1 << 20);
        }
        drawInto(GpuFormat.B8G8R8X8);
        for (int id = 1; id <= 4; id++) send(req(0x102, 8).putInt(24, id));
        assertEquals(0x1100, create(1, 2, W, H));
        assertEquals(0x1100, attach(1, FB, W * H * 4));
        assertEquals(0x1100, scanout(0, 1, 0, 0, W, H));
        assertEquals(0x1100, transfer(1, 0, 0, W, H, 0));
        assertEquals(0x1100, flush(1, 0, 0, W, H));
        assertEquals(pattern(W - 1, H - 1), console().surface().snapshot()[W * H - 1]);
    }

    @Test void resetDropsResourcesAndBlanksTheHead() {
        create(1, 2, W, H);
        attach(1, FB, W * H * 4);
        scanout(0, 1, 0, 0, W, H);
        w(0x70, 0);
        assertEquals(0, gpu.resourceCount());
        assertEquals(Console.BLANK_WIDTH, console().surface().width());
    }

    @Test void theConsoleGoesWithTheDevice() {
        assertEquals("gpu0", console().device());
        gpu.unrealize();
        assertTrue(Consoles.of(m.tree()).list().isEmpty());
    }
}
