package org.orrery.backend.block.internal;

import org.orrery.backend.block.qcow2.BackingImage;
import org.orrery.backend.block.qcow2.Qcow2Header;
import org.orrery.backend.block.qcow2.Qcow2Image;
import org.orrery.backend.block.qcow2.SnapshotTable;
import org.orrery.machine.backend.InternalSnapshots;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code blockdev-qcow2}: the qcow2 format over a file node. Unless {@code backing} is given (a node, or
 * null/"" for none), the backing file the image names is opened read-only as two nodes of its own (file and
 * format, the format from the image's {@code backing_fmt} or probed), owned by this node and closed with it.
 */
final class Qcow2Node extends BlockNode implements InternalSnapshots {
    private static final Logger LOG = Logger.getLogger(Qcow2Node.class.getName());
    /** Deeper chains are refused (QEMU's limit is similar), so a hostile chain cannot exhaust the stack. */
    static final int MAX_CHAIN = 64;

    static final Property<QObject> FILE = Property.of("file", PropertyTypes.link("block-node", QObject.class, "/blockdevs")).required()
            .description("the file node holding the image");
    static final Property<QObject> BACKING = Property.of("backing", PropertyTypes.link("block-node", QObject.class, "/blockdevs"))
            .description("the backing node; null or \"\" for none; by default the image's own backing file is opened");
    static final Property<Boolean> LAZY_REFCOUNTS = Property.of("lazy-refcounts", PropertyTypes.BOOL)
            .description("postpone refcount updates, marking the image dirty (default: as the image says)");
    static final Property<Long> CACHE_SIZE = Property.of("cache-size", PropertyTypes.SIZE)
            .description("the L2 and refcount caches together, in bytes");
    static final Property<Long> L2_CACHE_SIZE = Property.of("l2-cache-size", PropertyTypes.SIZE)
            .description("the L2 table cache in bytes (default: enough for the whole disk, at most 32 MiB)");
    static final Property<Long> REFCOUNT_CACHE_SIZE = Property.of("refcount-cache-size", PropertyTypes.SIZE)
            .description("the refcount block cache in bytes");
    static final Property<Long> CACHE_CLEAN_INTERVAL = Property.of("cache-clean-interval", PropertyTypes.INT64)
            .description("accepted as QEMU has it; caches are not emptied on a timer");
    static final Property<Boolean> PASS_DISCARD_REQUEST = Property.of("pass-discard-request", PropertyTypes.BOOL)
            .description("accepted as QEMU has it");

    private Qcow2Image image;
    private FileNode file;
    private BlockNode backing;
    private final Runnable closeFirst = this::closeImage;
    /** The image files above this one in its chain, to refuse loops (set by the node that opens this one). */
    List<Path> chainAbove = List.of();
    /** {@code backing: null}: the image is read alone. */
    boolean backingNone;

    @Override protected void open() {
        if (!(get(FILE) instanceof FileNode f)) throw new QomException("node '" + name() + "': 'file' must be a file node (driver=file)");
        if (!f.isRealized()) throw new QomException("node '" + name() + "': child '" + f.name() + "' is not open");
        boolean ro = get(READ_ONLY) || get(SNAPSHOT);
        if (!ro && f.isReadOnly())
            throw new QomException("Block node '" + f.name() + "' is read-only: open '" + name() + "' with read-only=on or snapshot=on");
        String fileName = f.filename();
        try {
            Qcow2Header h = Qcow2Image.probe(f, fileName);
            if (get(BACKING) instanceof BlockNode b) {
                backing = b;
            } else if (!backingNone && h.backingFile() != null) {
                backing = openBacking(fileName, h.backingFile(), h.backingFormat());
            }
            long l2 = get(L2_CACHE_SIZE) != null ? get(L2_CACHE_SIZE) : get(CACHE_SIZE) != null ? get(CACHE_SIZE) * 4 / 5 : -1;
            int rc = get(REFCOUNT_CACHE_SIZE) != null ? (int) Math.min(get(REFCOUNT_CACHE_SIZE), 1 << 30)
                    : get(CACHE_SIZE) != null ? (int) Math.min(get(CACHE_SIZE) / 5, 1 << 30) : -1;
            Qcow2Image.Options o = new Qcow2Image.Options(ro, !f.get(FileNode.CACHE_NO_FLUSH), l2, rc, get(LAZY_REFCOUNTS));
            image = Qcow2Image.open(f, fileName, o, backing == null ? null : new BackingImage() {
                private final BlockNode b = backing;
                @Override public long size() { return b.size(); }
                @Override public void read(long offset, ByteBuffer dst) throws IOException { b.readAt(offset, dst); }
            });
        } catch (IOException | RuntimeException e) {
            closeOwnedBacking();
            if (e instanceof QomException q) throw q;
            throw new QomException(e.getMessage() != null && e.getMessage().contains(fileName) ? e.getMessage()
                    : "Could not open '" + fileName + "': " + e.getMessage());
        }
        file = f;
        f.onClose(closeFirst);
    }

    /** Opens the backing file an image names, relative to the image's folder, read-only. */
    private BlockNode openBacking(String imageFile, String backingName, String format) {
        Path image = Path.of(imageFile).toAbsolutePath().normalize();
        Path target = Path.of(backingName);
        if (!target.isAbsolute()) {
            Path dir = Path.of(imageFile).getParent();
            target = dir == null ? target : dir.resolve(target);
        }
        String shown = target.toString();
        List<Path> chain = new ArrayList<>(chainAbove);
        chain.add(realPath(image));
        if (chain.size() >= MAX_CHAIN) throw new QomException("Could not open '" + imageFile + "': its backing chain is deeper than " + MAX_CHAIN + " images");
        if (chain.contains(realPath(target.toAbsolutePath().normalize())))
            throw new QomException("Could not open '" + imageFile + "': backing file '" + shown + "' is already in the chain above it (a loop)");
        String driver = format;
        if (driver == null) driver = BlockCommands.isQcow2(target) ? "qcow2" : "raw";
        if (!driver.equals("qcow2") && !driver.equals("raw"))
            throw new QomException("Could not open backing file '" + shown + "' of '" + imageFile + "': unknown format '" + driver + "'");
        Map<String, Value> fm = new LinkedHashMap<>();
        fm.put("filename", Value.ofText("filename", shown));
        fm.put("read-only", Value.ofText("read-only", "on"));
        try {
            BlockNode fileNode = BlockCommands.addNode(tree(), null, "file", fm, "backing.file.", null);
            ownedChildren.add(fileNode);
            Map<String, Value> m = new LinkedHashMap<>();
            m.put("file", Value.ofText("file", fileNode.name()));
            m.put("read-only", Value.ofText("read-only", "on"));
            BlockNode b = BlockCommands.addNode(tree(), null, driver, m, "backing.", n -> { if (n instanceof Qcow2Node q) q.chainAbove = List.copyOf(chain); });
            ownedChildren.add(b);
            b.ownedChildren.add(fileNode);
            ownedChildren.remove(fileNode);
            return b;
        } catch (RuntimeException e) {
            String msg = e.getMessage();
            if (msg != null && msg.startsWith("Could not open backing file")) throw e;   // from deeper in the chain
            throw new QomException("Could not open backing file '" + shown + "' of '" + imageFile + "': " + msg);
        }
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    private void closeOwnedBacking() {
        for (BlockNode n : List.copyOf(ownedChildren)) {
            if (n == get(FILE)) continue;
            if (n.parent() != null) tree().delete(n, true);
            ownedChildren.remove(n);
        }
        backing = null;
    }

    private void closeImage() {
        Qcow2Image i = image;
        image = null;
        if (i == null) return;
        try {
            i.close();
        } catch (IOException e) {
            LOG.warning("closing '" + filename() + "': " + e.getMessage());
        }
    }

    @Override protected void closeNode() {
        closeImage();
        if (file != null) file.removeOnClose(closeFirst);
        file = null;
        backing = null;
    }

    Qcow2Image image() { return image; }

    BlockNode backing() { return backing; }

    @Override public long size() { Qcow2Image i = image; return i == null ? 0 : i.size(); }

    @Override String driver() { return "qcow2"; }

    @Override String filename() { return get(FILE) instanceof BlockNode c ? c.filename() : ""; }

    @Override FileNode fileNode() { return get(FILE) instanceof BlockNode c ? c.fileNode() : null; }

    private Qcow2Image open(Qcow2Image i) throws IOException {
        if (i == null) throw new IOException("Block node '" + name() + "' is closed");
        return i;
    }

    @Override protected void doRead(long offset, ByteBuffer dst) throws IOException { open(image).read(offset, dst); }

    @Override protected void doWrite(long offset, ByteBuffer src) throws IOException { open(image).write(offset, src); }

    @Override protected void doFlush() throws IOException { open(image).flush(); }

    @Override protected void doDiscard(long offset, long length) throws IOException { open(image).discard(offset, length); }

    void resize(long newSize) throws IOException { open(image).resize(newSize); }

    // ---- internal snapshots: on the caller's thread (the machine's, at its safe point), I/O drained first ----

    @Override public String nodeName() { return name(); }

    @Override public List<Snapshot> snapshots() throws IOException {
        List<Snapshot> out = new ArrayList<>();
        for (SnapshotTable.Snapshot s : open(image).snapshots()) out.add(listed(s));
        return out;
    }

    private static Snapshot listed(SnapshotTable.Snapshot s) {
        return new Snapshot(s.id(), s.name(), s.vmStateSize(), s.dateSec(), s.dateNsec(), s.vmClockNsec(), s.icount());
    }

    /** The image, once the node's requests have finished, refusing a node whose writes go to a throwaway overlay. */
    private Qcow2Image quiesced(String what) throws IOException {
        Qcow2Image i = open(image);
        if (hasOverlay()) throw new IOException("cannot " + what + " on '" + filename() + "': node '" + name() + "' has snapshot=on (its writes go to a temporary overlay)");
        if (get(READ_ONLY)) throw new IOException("cannot " + what + " on '" + filename() + "': node '" + name() + "' is read-only");
        drain();
        return i;
    }

    @Override public Snapshot create(String name, long vmClockNanos, long icount, StateWriter vmState) throws IOException {
        Qcow2Image i = quiesced("create a snapshot");
        return listed(i.createSnapshot(name, vmClockNanos, icount, vmState == null ? null : vmState::writeTo));
    }

    @Override public void revert(String idOrName) throws IOException { quiesced("revert to a snapshot").revertToSnapshot(idOrName); }

    @Override public InputStream openVmState(String idOrName) throws IOException {
        drain();
        return open(image).openVmState(idOrName);
    }

    @Override public void delete(String idOrName) throws IOException { quiesced("delete a snapshot").deleteSnapshot(idOrName); }
}
