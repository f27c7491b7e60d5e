package org.orrery.device.virtio.internal;

import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;
import org.orrery.machine.backend.BlockBackend;
import org.orrery.machine.memory.BusError;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * virtio block device (virtio 1.2, section 5.2). Requests are a 16-byte header (type, reserved, sector),
 * data buffers, and a final status byte. IN, OUT, FLUSH and GET_ID are served; I/O goes to the drive's
 * {@link BlockBackend} asynchronously and completes on the machine thread, where the used ring is updated
 * and the interrupt raised. Completions that arrive after a device reset are dropped.
 */
final class VirtioBlk extends VirtioDevice {
    static final String TYPE = "virtio-blk-device";
    /** The type name of block nodes (the backend bundle's), in one place so it is easy to change. */
    static final String BLOCK_NODE_TYPE = "block-node";

    static final Property<QObject> DRIVE = Property.of("drive", PropertyTypes.link(BLOCK_NODE_TYPE, QObject.class, "/blockdevs"))
            .required().description("the block node the disk reads and writes (a node name under /blockdevs)");
    static final Property<String> SERIAL = Property.of("serial", PropertyTypes.STR)
            .description("disk serial number (GET_ID; up to 20 bytes)");

    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final long F_SIZE_MAX = 1L << 1, F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_BLK_SIZE = 1L << 6, F_FLUSH = 1L << 9;
    static final int QUEUE_SIZE = 256;
    static final int SEG_MAX = QUEUE_SIZE - 2;
    static final int SECTOR = 512;
    /** The largest request served (what the element's int offsets allow); served in CHUNK-sized pieces. */
    static final int MAX_REQUEST = Integer.MAX_VALUE & ~(SECTOR - 1);
    /** Bytes read or written per backend call. */
    static final int CHUNK = 4 << 20;

    private BlockBackend drive;
    private long generation;

    @Override protected void onRealize() {
        QObject d = get(DRIVE);
        if (!(d instanceof BlockBackend b)) throw new QomException("'" + d.path() + "' is not a block device");
        drive = b;
        super.onRealize();
    }

    @Override protected void onUnrealize() {
        generation++;
        super.onUnrealize();
        drive = null;
    }

    @Override protected void onLinkCleared(String property) {
        if (property.equals(DRIVE.name())) drive = null;
    }

    @Override public int deviceId() { return 2; }

    @Override public long deviceFeatures() {
        long f = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_SIZE_MAX;
        if (drive != null && drive.isReadOnly()) f |= F_RO;
        return f;
    }

    @Override public int queueCount() { return 1; }
    @Override public int queueMaxSize(int index) { return QUEUE_SIZE; }
    @Override public int configSize() { return 0x3c; }

    @Override public long readConfig(int offset, int size) {
        byte[] cfg = new byte[configSize()];
        ByteBuffer b = ByteBuffer.wrap(cfg).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, drive == null ? 0 : drive.size() / SECTOR);  // capacity
        b.putInt(8, CHUNK);                                       // size_max: per segment
        b.putInt(12, SEG_MAX);                                    // seg_max
        b.putInt(20, SECTOR);                                     // blk_size
        b.putShort(26, (short) 1);                                // min_io_size (in blocks)
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | (cfg[offset + i] & 0xff);
        return v;
    }

    @Override protected void deviceReset() { generation++; }

    /** A request in flight when the state was saved: served again (reads and writes of the same sectors are idempotent). */
    @Override protected void resubmit(Virtqueue q, Virtqueue.Element request) { handle(q, request); }

    @Override protected void queueNotified(Virtqueue q) {
        Virtqueue.Element e;
        while ((e = q.pop()) != null) handle(q, e);
    }

    private void handle(Virtqueue q, Virtqueue.Element e) {
        byte[] hdr = new byte[16];
        if (e.outLength() < 16 || e.inLength() < 1) {
            transport().needsReset("malformed block request (header or status missing)");
            return;
        }
        try {
            e.read(0, hdr, 0, 16);
        } catch (BusError x) {
            transport().needsReset("request header unreadable");
            return;
        }
        ByteBuffer h = ByteBuffer.wrap(hdr).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int type = h.getInt(0);
        long sector = h.getLong(8);
        long dataIn = e.inLength() - 1;    // writable bytes before the status byte
        long dataOut = e.outLength() - 16; // readable bytes after the header
        BlockBackend d = drive;
        if (d == null) { finish(q, e, S_IOERR, 0, generation); return; }
        long gen = generation;
        switch (type) {
            case T_IN -> {
                if (!inRange(sector, dataIn, d)) { finish(q, e, S_IOERR, 0, gen); return; }
                readChunks(q, e, d, sector * SECTOR, 0, (int) dataIn, gen);
            }
            case T_OUT -> {
                if (d.isReadOnly() || !inRange(sector, dataOut, d)) { finish(q, e, S_IOERR, 0, gen); return; }
                writeChunks(q, e, d, sector * SECTOR, 0, (int) dataOut, gen);
            }
            case T_FLUSH -> d.flush(err -> finish(q, e, err == null ? S_OK : S_IOERR, 0, gen));
            case T_GET_ID -> {
                byte[] id = new byte[20];
                String s = get(SERIAL);
                if (s != null) {
                    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(b, 0, id, 0, Math.min(b.length, 20));
                }
                int n = (int) Math.min(20, dataIn);
                e.write(0, id, 0, n);
                finish(q, e, S_OK, n, gen);
            }
            default -> finish(q, e, S_UNSUPP, 0, gen);
        }
    }

    /**
     * Serves a read of any size in pieces of at most CHUNK bytes, one after the other: a guest may ask
     * for a whole file at once (U-Boot does), and the host should not allocate that much at a time.
     */
    private void readChunks(Virtqueue q, Virtqueue.Element e, BlockBackend d, long offset, int done, int total, long gen) {
        if (done == total) { finish(q, e, S_OK, total, gen); return; }
        int n = Math.min(CHUNK, total - done);
        ByteBuffer buf = ByteBuffer.allocate(n);
        d.read(offset + done, buf, err -> {
            if (gen != generation) return;
            if (err != null) { finish(q, e, S_IOERR, done, gen); return; }
            try {
                e.write(done, buf.array(), 0, n);
            } catch (BusError x) {
                transport().needsReset("data buffer unwritable");
                return;
            }
            readChunks(q, e, d, offset, done + n, total, gen);
        });
    }

    private void writeChunks(Virtqueue q, Virtqueue.Element e, BlockBackend d, long offset, int done, int total, long gen) {
        if (done == total) { finish(q, e, S_OK, 0, gen); return; }
        int n = Math.min(CHUNK, total - done);
        byte[] data = new byte[n];
        try {
            e.read(16 + done, data, 0, n);
        } catch (BusError x) {
            transport().needsReset("data buffer unreadable");
            return;
        }
        d.write(offset + done, ByteBuffer.wrap(data), err -> {
            if (gen != generation) return;
            if (err != null) { finish(q, e, S_IOERR, 0, gen); return; }
            writeChunks(q, e, d, offset, done + n, total, gen);
        });
    }

    private static boolean inRange(long sector, long bytes, BlockBackend d) {
        if (bytes % SECTOR != 0 || bytes > MAX_REQUEST || sector < 0) return false;
        long end = sector * SECTOR + bytes;
        return sector <= d.size() / SECTOR && end <= d.size();
    }

    /** Writes the status byte, returns the chain and interrupts (unless the device was reset meanwhile). */
    private void finish(Virtqueue q, Virtqueue.Element e, int status, int dataWritten, long gen) {
        if (gen != generation || transport() == null) return;
        try {
            e.write(e.inLength() - 1, new byte[]{(byte) status}, 0, 1);
        } catch (BusError x) {
            transport().needsReset("status byte unwritable");
            return;
        }
        q.complete(e, dataWritten + 1);
    }
}
