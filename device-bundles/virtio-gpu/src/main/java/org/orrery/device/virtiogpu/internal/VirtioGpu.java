package org.orrery.device.virtiogpu.internal;

import org.orrery.device.support.GuestLog;
import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;
import org.orrery.machine.display.Console;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.machine.memory.BusError;
import org.orrery.machine.memory.Section;
import org.orrery.machine.state.StateDescription;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateField;
import org.orrery.machine.state.StateRecord;
import org.orrery.qom.Property;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.orrery.device.support.DeviceProperties.size;
import static org.orrery.device.support.DeviceProperties.uint32;

/**
 * virtio-gpu in 2D (virtio 1.2, section 5.7): the guest creates resources (host-side images), attaches guest pages
 * as their backing, copies the pages into them (TRANSFER_TO_HOST_2D), shows one on a scanout (SET_SCANOUT) and says
 * which part changed (RESOURCE_FLUSH). Each scanout is a {@link Console} of the machine; a flush copies the
 * resource's pixels into the console's surface. No 3D (no capability sets), no EDID.
 *
 * <p>Whatever the guest sends is checked before it is used: a short request, an unknown command, a rectangle outside
 * its resource, a resource past the host-memory budget ({@code max_hostmem}) or backing outside RAM gets the error
 * response the specification names, logged once under {@code -d guest_errors}; nothing is thrown to the host.
 */
final class VirtioGpu extends VirtioDevice {
    static final String TYPE = "virtio-gpu-device";

    static final Property<Long> MAX_OUTPUTS = uint32("max_outputs", 1L, "number of scanouts (heads), 1 to 16");
    static final Property<Long> XRES = uint32("xres", 1280L, "the width GET_DISPLAY_INFO offers the guest");
    static final Property<Long> YRES = uint32("yres", 800L, "the height GET_DISPLAY_INFO offers the guest");
    static final Property<Long> MAX_HOSTMEM = size("max_hostmem", 256L << 20, "host memory the guest's resources may use in all");

    // control commands, cursor commands, responses (virtio 1.2, 5.7.6.7)
    static final int CMD_GET_DISPLAY_INFO = 0x0100, CMD_RESOURCE_CREATE_2D = 0x0101, CMD_RESOURCE_UNREF = 0x0102,
            CMD_SET_SCANOUT = 0x0103, CMD_RESOURCE_FLUSH = 0x0104, CMD_TRANSFER_TO_HOST_2D = 0x0105,
            CMD_RESOURCE_ATTACH_BACKING = 0x0106, CMD_RESOURCE_DETACH_BACKING = 0x0107;
    static final int CMD_UPDATE_CURSOR = 0x0300, CMD_MOVE_CURSOR = 0x0301;
    static final int RESP_OK_NODATA = 0x1100, RESP_OK_DISPLAY_INFO = 0x1101;
    static final int RESP_ERR_UNSPEC = 0x1200, RESP_ERR_OUT_OF_MEMORY = 0x1201, RESP_ERR_INVALID_SCANOUT_ID = 0x1202,
            RESP_ERR_INVALID_RESOURCE_ID = 0x1203, RESP_ERR_INVALID_PARAMETER = 0x1205;
    static final int FLAG_FENCE = 1;
    static final int HEADER = 24;
    static final int MAX_SCANOUTS = 16;
    /** The most backing pieces one resource may have (QEMU's limit too). */
    static final int MAX_BACKING_ENTRIES = 16384;
    /** The smallest scanout QEMU accepts. */
    static final int MIN_SCANOUT = 16;
    static final int EVENT_DISPLAY = 1;

    /** A scanout: its console, and which rectangle of which resource it shows (resource 0: off). */
    private static final class Scanout {
        final Console console;
        int resource;
        int x, y, width, height;

        Scanout(Console console) { this.console = console; }
    }

    /** A command the guest got wrong: answered with {@code response}, logged once per {@code site}. */
    private static final class GuestError extends Exception {
        final int response;

        GuestError(int response, String message) {
            super(message, null, false, false);
            this.response = response;
        }
    }

    private final Map<Integer, GpuResource> resources = new HashMap<>();
    private Scanout[] scanouts = new Scanout[0];
    private long hostMemoryUsed;
    private int eventsRead;
    private GuestLog log;

    /**
     * The queues, the resources the guest made (their host-side pixels, which differ from their backing until a
     * transfer, and the backing list; the backing's contents are guest RAM), what each scanout shows and the
     * events not yet cleared. The consoles show the loaded scanouts at once after a load.
     */
    static final StateDescription<VirtioGpu> STATE = state(TYPE, VirtioGpu.class, 1)
            .field(new ResourcesField())
            .field(scanoutField("scanout-resource", s -> s.resource, (s, v) -> s.resource = v))
            .field(scanoutField("scanout-x", s -> s.x, (s, v) -> s.x = v))
            .field(scanoutField("scanout-y", s -> s.y, (s, v) -> s.y = v))
            .field(scanoutField("scanout-width", s -> s.width, (s, v) -> s.width = v))
            .field(scanoutField("scanout-height", s -> s.height, (s, v) -> s.height = v))
            .u32("events-read", g -> g.eventsRead, (g, v) -> g.eventsRead = (int) v)
            .afterLoad(VirtioGpu::showScanouts)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    /** One int of every scanout, as many as this device has. */
    private static StateField<VirtioGpu> scanoutField(String name, java.util.function.ToIntFunction<Scanout> get,
                                                      java.util.function.ObjIntConsumer<Scanout> set) {
        return org.orrery.device.support.StateFields.ints(name, g -> {
            int[] values = new int[g.scanouts.length];
            for (int i = 0; i < values.length; i++) values[i] = get.applyAsInt(g.scanouts[i]);
            return values;
        }, (g, values) -> {
            for (int i = 0; i < values.length; i++) set.accept(g.scanouts[i], values[i]);
        });
    }

    /** The resources as a list of records, made again on load; each is checked (format, size, backing) first. */
    private static final class ResourcesField implements StateField<VirtioGpu> {
        @Override public String name() { return "resources"; }
        @Override public String kind() { return "list of record gpu-resource"; }

        @Override public Object save(VirtioGpu g) {
            List<StateRecord> out = new ArrayList<>();
            for (GpuResource r : g.resources.values()) {
                GpuResource.Backing b = r.backing();
                StateRecord rec = new StateRecord("gpu-resource", 1).put("id", Integer.toUnsignedLong(r.id()))
                        .put("format", (long) r.format().code).put("width", (long) r.width()).put("height", (long) r.height())
                        .put("pixels", r.pixels().clone()).put("backing-attached", b != null);
                long[] lengths = new long[b == null ? 0 : b.lengths().length];
                for (int i = 0; i < lengths.length; i++) lengths[i] = Integer.toUnsignedLong(b.lengths()[i]);
                out.add(rec.put("backing-addresses", b == null ? new long[0] : b.addresses().clone())
                        .put("backing-lengths", lengths));
            }
            return out;
        }

        @Override public void check(VirtioGpu g, Object value) { resources(g, value); }

        @Override public void load(VirtioGpu g, Object value) {
            g.resources.clear();
            g.hostMemoryUsed = 0;
            for (GpuResource r : resources(g, value)) {
                g.resources.put(r.id(), r);
                g.hostMemoryUsed += r.cost();
            }
        }

        /** The resources a saved list describes; a StateException when one cannot be (the device is left as it was). */
        private static List<GpuResource> resources(VirtioGpu g, Object value) {
            if (!(value instanceof List<?> list)) throw new StateException("saved as something other than a list of resources");
            List<GpuResource> out = new ArrayList<>();
            long budget = g.get(MAX_HOSTMEM), used = 0;
            for (Object o : list) {
                if (!(o instanceof StateRecord rec) || !rec.name().equals("gpu-resource") || rec.version() != 1)
                    throw new StateException("a saved resource is not a gpu-resource version 1");
                long id = rec.getLong("id"), w = rec.getLong("width"), h = rec.getLong("height");
                GpuFormat format = GpuFormat.of((int) rec.getLong("format"));
                if (format == null || id <= 0 || id > 0xffffffffL || w < 1 || h < 1 || w > Surface.MAX_SIDE || h > Surface.MAX_SIDE)
                    throw new StateException("saved resource " + id + " has an invalid format or size");
                byte[] pixels = rec.getBytes("pixels");
                if (pixels.length != w * h * GpuFormat.BYTES_PER_PIXEL) throw new StateException("saved resource " + id + ": pixels do not match its size");
                if (!(rec.get("backing-addresses") instanceof long[] addresses) || !(rec.get("backing-lengths") instanceof long[] lengths)
                        || addresses.length != lengths.length || addresses.length > MAX_BACKING_ENTRIES)
                    throw new StateException("saved resource " + id + ": a damaged backing list");
                GpuResource.Backing backing = null;
                if (rec.getBool("backing-attached")) {
                    int[] pieces = new int[lengths.length];
                    long size = 0;
                    for (int i = 0; i < lengths.length; i++) {
                        pieces[i] = (int) lengths[i];
                        size += lengths[i];
                    }
                    backing = new GpuResource.Backing(addresses.clone(), pieces, size);
                }
                GpuResource r = new GpuResource((int) id, format, (int) w, (int) h, pixels.clone(), backing);
                used += r.cost();
                out.add(r);
            }
            if (used > budget) throw new StateException("the saved resources need " + used + " bytes, more than max_hostmem " + budget);
            return out;
        }
    }

    /** Shows what each loaded scanout shows (or blanks it), as SET_SCANOUT did. */
    private void showScanouts() {
        for (Scanout s : scanouts) {
            GpuResource r = resources.get(s.resource);
            if (s.resource == 0 || r == null || !r.contains(s.x, s.y, s.width, s.height) || s.width < MIN_SCANOUT || s.height < MIN_SCANOUT) {
                s.resource = 0;
                s.console.blank();
                continue;
            }
            Surface current = s.console.surface();
            if (current.width() != s.width || current.height() != s.height) s.console.replaceSurface(new Surface(s.width, s.height));
            show(s, r, 0, 0, s.width, s.height);
        }
    }

    @Override public int deviceId() { return 16; }
    @Override public long deviceFeatures() { return 0; }
    @Override public int queueCount() { return 2; }
    @Override public int queueMaxSize(int index) { return index == 0 ? 256 : 16; }
    @Override public int configSize() { return 16; }

    @Override public long readConfig(int offset, int size) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, eventsRead).putInt(4, 0).putInt(8, scanouts.length).putInt(12, 0);
        long v = 0;
        for (int i = 0; i < size && offset + i < 16; i++) v |= (long) (b.get(offset + i) & 0xff) << (8 * i);
        return v;
    }

    @Override public void writeConfig(int offset, int size, long value) {
        if (offset == 4 && size == 4) eventsRead &= ~(int) value;   // events_clear
    }

    // ---- lifecycle ----

    @Override protected void onRealize() {
        long outputs = get(MAX_OUTPUTS);
        if (outputs < 1 || outputs > MAX_SCANOUTS) throw new QomException(describe() + ": max_outputs must be 1 to " + MAX_SCANOUTS);
        if (get(XRES) < MIN_SCANOUT || get(YRES) < MIN_SCANOUT || get(XRES) > Surface.MAX_SIDE || get(YRES) > Surface.MAX_SIDE)
            throw new QomException(describe() + ": xres and yres must be " + MIN_SCANOUT + " to " + Surface.MAX_SIDE);
        super.onRealize();
        log = new GuestLog(path(), this::machine);
        scanouts = new Scanout[(int) outputs];
        Consoles consoles = Consoles.of(tree());
        for (int i = 0; i < scanouts.length; i++) {
            scanouts[i] = new Scanout(new Console(consoleName(), i));
            consoles.register(scanouts[i].console);
        }
    }

    @Override protected void onUnrealize() {
        Consoles consoles = Consoles.of(tree());
        for (Scanout s : scanouts) consoles.unregister(s.console);
        scanouts = new Scanout[0];
        dropResources();
        super.onUnrealize();
    }

    /** The name screendump's device= takes: the id, or the id of the virtio-pci function that carries this device. */
    private String consoleName() {
        QObject named = this;
        if (parent() != null && name().equals("virtio-backend")) named = parent();
        return named.name();
    }

    @Override protected void deviceReset() {
        dropResources();
        eventsRead = 0;
        for (Scanout s : scanouts) {
            if (s.resource != 0) s.console.blank();
            s.resource = 0;
        }
    }

    private void dropResources() {
        resources.clear();
        hostMemoryUsed = 0;
    }

    // ---- queues ----

    @Override protected void queueNotified(Virtqueue q) {
        Virtqueue.Element e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            int written = q.index() == 0 ? control(e) : cursor(e);
            q.push(e, written);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }

    /** Cursor commands are accepted and not drawn (screendump leaves the cursor out, as QEMU's does). */
    private int cursor(Virtqueue.Element e) {
        return 0;
    }

    /** Runs one control command; returns the bytes written into the response. */
    private int control(Virtqueue.Element e) {
        ByteBuffer req = ByteBuffer.wrap(new byte[HEADER]).order(ByteOrder.LITTLE_ENDIAN);
        int type = 0, flags = 0;
        long fence = 0;
        int ctx = 0;
        ByteBuffer resp;
        try {
            if (e.read(0, req.array(), 0, HEADER) < HEADER) throw new GuestError(RESP_ERR_UNSPEC, "request shorter than its header");
            type = req.getInt(0);
            flags = req.getInt(4);
            fence = req.getLong(8);
            ctx = req.getInt(16);
            resp = run(type, e);
        } catch (GuestError g) {
            log.guestError("cmd 0x" + Integer.toHexString(type) + " " + g.response, "command 0x" + Integer.toHexString(type) + ": " + g.getMessage());
            resp = header(g.response, 0);
        } catch (BusError b) {
            log.guestError("bus " + type, "command 0x" + Integer.toHexString(type) + ": guest memory unreadable at 0x" + Long.toHexString(b.address()));
            resp = header(RESP_ERR_UNSPEC, 0);
        }
        if ((flags & FLAG_FENCE) != 0) resp.putInt(4, FLAG_FENCE).putLong(8, fence).putInt(16, ctx);
        byte[] out = resp.array();
        int n = (int) Math.min(out.length, e.inLength());
        try {
            return e.write(0, out, 0, n);
        } catch (BusError b) {
            log.guestError("resp " + type, "response buffer unwritable at 0x" + Long.toHexString(b.address()));
            return 0;
        }
    }

    private static ByteBuffer header(int type, int extra) {
        return ByteBuffer.wrap(new byte[HEADER + extra]).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    /** The request's fixed part of {@code length} bytes (the header included). */
    private static ByteBuffer request(Virtqueue.Element e, int length) throws GuestError {
        ByteBuffer b = ByteBuffer.wrap(new byte[length]).order(ByteOrder.LITTLE_ENDIAN);
        if (e.read(0, b.array(), 0, length) < length) throw new GuestError(RESP_ERR_UNSPEC, "request of " + e.outLength() + " bytes, the command needs " + length);
        return b;
    }

    private ByteBuffer run(int type, Virtqueue.Element e) throws GuestError {
        return switch (type) {
            case CMD_GET_DISPLAY_INFO -> displayInfo();
            case CMD_RESOURCE_CREATE_2D -> create(request(e, HEADER + 16));
            case CMD_RESOURCE_UNREF -> unref(request(e, HEADER + 8));
            case CMD_SET_SCANOUT -> setScanout(request(e, HEADER + 24));
            case CMD_RESOURCE_FLUSH -> flush(request(e, HEADER + 24));
            case CMD_TRANSFER_TO_HOST_2D -> transfer(request(e, HEADER + 32));
            case CMD_RESOURCE_ATTACH_BACKING -> attach(e, request(e, HEADER + 8));
            case CMD_RESOURCE_DETACH_BACKING -> detach(request(e, HEADER + 8));
            default -> throw new GuestError(RESP_ERR_UNSPEC, "unknown or unsupported command");
        };
    }

    private ByteBuffer displayInfo() {
        ByteBuffer r = header(RESP_OK_DISPLAY_INFO, MAX_SCANOUTS * 24);
        // scanout 0 is connected at xres x yres; QEMU leaves further outputs disconnected until a client enables them
        r.putInt(HEADER + 8, (int) (long) get(XRES)).putInt(HEADER + 12, (int) (long) get(YRES)).putInt(HEADER + 16, 1);
        return r;
    }

    private GpuResource resource(int id) throws GuestError {
        GpuResource r = resources.get(id);
        if (r == null) throw new GuestError(RESP_ERR_INVALID_RESOURCE_ID, "no resource " + Integer.toUnsignedString(id));
        return r;
    }

    private ByteBuffer create(ByteBuffer q) throws GuestError {
        int id = q.getInt(HEADER), code = q.getInt(HEADER + 4);
        long w = Integer.toUnsignedLong(q.getInt(HEADER + 8)), h = Integer.toUnsignedLong(q.getInt(HEADER + 12));
        if (id == 0 || resources.containsKey(id)) throw new GuestError(RESP_ERR_INVALID_RESOURCE_ID, "resource id " + Integer.toUnsignedString(id) + " is 0 or taken");
        GpuFormat format = GpuFormat.of(code);
        if (format == null) throw new GuestError(RESP_ERR_INVALID_PARAMETER, "unknown format " + code);
        if (w == 0 || h == 0) throw new GuestError(RESP_ERR_INVALID_PARAMETER, "resource of " + w + "x" + h);
        long bytes = w * h * GpuFormat.BYTES_PER_PIXEL;
        if (w > Surface.MAX_SIDE || h > Surface.MAX_SIDE || Math.max(4096L, bytes) > get(MAX_HOSTMEM) - hostMemoryUsed)
            throw new GuestError(RESP_ERR_OUT_OF_MEMORY, "resource of " + w + "x" + h + " is past the host-memory budget");
        GpuResource r;
        try {
            r = GpuResource.blank(id, format, (int) w, (int) h);
        } catch (OutOfMemoryError e) {   // within max_hostmem, but more than the JVM's heap has left
            throw new GuestError(RESP_ERR_OUT_OF_MEMORY, "the host has no room for a resource of " + w + "x" + h);
        }
        resources.put(id, r);
        hostMemoryUsed += r.cost();
        return header(RESP_OK_NODATA, 0);
    }

    private ByteBuffer unref(ByteBuffer q) throws GuestError {
        GpuResource r = resource(q.getInt(HEADER));
        for (Scanout s : scanouts)
            if (s.resource == r.id()) {
                s.resource = 0;
                s.console.blank();
            }
        resources.remove(r.id());
        hostMemoryUsed -= r.cost();
        return header(RESP_OK_NODATA, 0);
    }

    private ByteBuffer setScanout(ByteBuffer q) throws GuestError {
        long x = uint(q, HEADER), y = uint(q, HEADER + 4), w = uint(q, HEADER + 8), h = uint(q, HEADER + 12);
        long id = uint(q, HEADER + 16);
        int resourceId = q.getInt(HEADER + 20);
        if (id >= scanouts.length) throw new GuestError(RESP_ERR_INVALID_SCANOUT_ID, "no scanout " + id);
        Scanout s = scanouts[(int) id];
        if (resourceId == 0 || w == 0 || h == 0) {           // the driver switches the head off
            if (s.resource != 0) s.console.blank();
            s.resource = 0;
            return header(RESP_OK_NODATA, 0);
        }
        GpuResource r = resource(resourceId);
        if (w < MIN_SCANOUT || h < MIN_SCANOUT || !r.contains(x, y, w, h))
            throw new GuestError(RESP_ERR_INVALID_PARAMETER, "scanout rectangle " + w + "x" + h + "+" + x + "+" + y
                    + " does not fit resource " + r.width() + "x" + r.height());
        s.resource = r.id();
        s.x = (int) x;
        s.y = (int) y;
        s.width = (int) w;
        s.height = (int) h;
        Surface current = s.console.surface();
        if (current.width() != s.width || current.height() != s.height) s.console.replaceSurface(new Surface(s.width, s.height));
        show(s, r, 0, 0, s.width, s.height);
        return header(RESP_OK_NODATA, 0);
    }

    private ByteBuffer flush(ByteBuffer q) throws GuestError {
        long x = uint(q, HEADER), y = uint(q, HEADER + 4), w = uint(q, HEADER + 8), h = uint(q, HEADER + 12);
        GpuResource r = resource(q.getInt(HEADER + 16));
        if (!r.contains(x, y, w, h)) throw new GuestError(RESP_ERR_INVALID_PARAMETER, "flush rectangle " + w + "x" + h + "+" + x + "+" + y
                + " outside resource " + r.width() + "x" + r.height());
        for (Scanout s : scanouts) {
            if (s.resource != r.id()) continue;
            // the flushed rectangle, in the scanout's coordinates, clipped to it
            long x0 = Math.max(x, s.x), y0 = Math.max(y, s.y);
            long x1 = Math.min(x + w, s.x + (long) s.width), y1 = Math.min(y + h, s.y + (long) s.height);
            if (x1 > x0 && y1 > y0) show(s, r, (int) (x0 - s.x), (int) (y0 - s.y), (int) (x1 - x0), (int) (y1 - y0));
        }
        return header(RESP_OK_NODATA, 0);
    }

    /** Copies a rectangle (scanout coordinates) of the resource the scanout shows into its surface, and says so. */
    private void show(Scanout s, GpuResource r, int x, int y, int w, int h) {
        int[] row = new int[w];
        Surface surface = s.console.surface();
        if (surface.width() != s.width || surface.height() != s.height) return;
        for (int j = 0; j < h; j++) {
            int at = (s.y + y + j) * r.stride() + (s.x + x) * GpuFormat.BYTES_PER_PIXEL;
            for (int i = 0; i < w; i++, at += GpuFormat.BYTES_PER_PIXEL) row[i] = r.format().rgb(r.pixels(), at);
            surface.write(x, y + j, w, 1, row, 0, w);
        }
        s.console.updated(x, y, w, h);
    }

    private ByteBuffer transfer(ByteBuffer q) throws GuestError {
        long x = uint(q, HEADER), y = uint(q, HEADER + 4), w = uint(q, HEADER + 8), h = uint(q, HEADER + 12);
        long offset = q.getLong(HEADER + 16);
        GpuResource r = resource(q.getInt(HEADER + 24));
        if (!r.contains(x, y, w, h)) throw new GuestError(RESP_ERR_INVALID_PARAMETER, "transfer rectangle " + w + "x" + h + "+" + x + "+" + y
                + " outside resource " + r.width() + "x" + r.height());
        GpuResource.Backing backing = r.backing();
        if (backing == null) throw new GuestError(RESP_ERR_UNSPEC, "resource " + r.id() + " has no backing");
        if (w == 0 || h == 0) return header(RESP_OK_NODATA, 0);
        int stride = r.stride(), rowBytes = (int) w * GpuFormat.BYTES_PER_PIXEL;
        // row j comes from offset + j * stride in the backing, as the resource's own layout would hold it
        if (offset < 0 || offset + (h - 1) * stride + rowBytes > backing.size())
            throw new GuestError(RESP_ERR_INVALID_PARAMETER, "transfer at offset " + Long.toUnsignedString(offset) + " reads past the backing's "
                    + backing.size() + " bytes");
        for (int j = 0; j < h; j++)
            backing.read(transport().dma(), offset + (long) j * stride, r.pixels(), (int) ((y + j) * stride + x * GpuFormat.BYTES_PER_PIXEL), rowBytes);
        return header(RESP_OK_NODATA, 0);
    }

    private ByteBuffer attach(Virtqueue.Element e, ByteBuffer q) throws GuestError {
        GpuResource r = resource(q.getInt(HEADER));
        long count = uint(q, HEADER + 4);
        if (r.backing() != null) throw new GuestError(RESP_ERR_UNSPEC, "resource " + r.id() + " already has backing");
        if (count == 0 || count > MAX_BACKING_ENTRIES) throw new GuestError(RESP_ERR_UNSPEC, count + " backing entries (1 to " + MAX_BACKING_ENTRIES + ")");
        if (16 * count > get(MAX_HOSTMEM) - hostMemoryUsed) throw new GuestError(RESP_ERR_OUT_OF_MEMORY, "backing list past the host-memory budget");
        ByteBuffer list = ByteBuffer.wrap(new byte[(int) count * 16]).order(ByteOrder.LITTLE_ENDIAN);
        if (e.read(HEADER + 8, list.array(), 0, list.capacity()) < list.capacity())
            throw new GuestError(RESP_ERR_UNSPEC, "request too short for " + count + " backing entries");
        long[] addresses = new long[(int) count];
        int[] lengths = new int[(int) count];
        for (int i = 0; i < count; i++) {
            addresses[i] = list.getLong(16 * i);
            lengths[i] = list.getInt(16 * i + 8);
            long len = Integer.toUnsignedLong(lengths[i]);
            if (len > Integer.MAX_VALUE || !isRam(addresses[i], len))
                throw new GuestError(RESP_ERR_UNSPEC, "backing entry " + i + " (" + len + " bytes at 0x" + Long.toHexString(addresses[i]) + ") is not guest RAM");
        }
        replace(r, r.withBacking(new GpuResource.Backing(addresses, lengths)));
        return header(RESP_OK_NODATA, 0);
    }

    /** Whether [address, address + length) is RAM all the way (backing must be: the device reads it as memory). */
    private boolean isRam(long address, long length) {
        long at = address, end = address + length;
        if (end < address) return false;
        while (at < end) {
            Section s = transport().dma().find(at);
            if (s == null || !s.isRam()) return false;
            at = s.end();
        }
        return true;
    }

    private ByteBuffer detach(ByteBuffer q) throws GuestError {
        GpuResource r = resource(q.getInt(HEADER));
        replace(r, r.withBacking(null));
        return header(RESP_OK_NODATA, 0);
    }

    /** Puts {@code next} in the place of {@code prior} (the same resource), charging the change in host memory. */
    private void replace(GpuResource prior, GpuResource next) {
        resources.put(next.id(), next);
        hostMemoryUsed += next.cost() - prior.cost();
    }

    private static long uint(ByteBuffer b, int at) { return Integer.toUnsignedLong(b.getInt(at)); }

    // ---- for tests and the monitor ----

    int resourceCount() { return resources.size(); }

    long hostMemoryUsed() { return hostMemoryUsed; }
}
