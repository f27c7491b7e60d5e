package org.orrery.backend.block.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@code blockdev-raw}: the raw format node over a child node ({@code file}), optionally a window of it
 * ({@code offset}, {@code size}). The node a drive's device links to.
 */
final class RawNode extends BlockNode {
    static final Property<QObject> FILE = Property.of("file", PropertyTypes.link("block-node", QObject.class, "/blockdevs")).required()
            .description("the child node holding the image (a node name under /blockdevs)");
    static final Property<Long> OFFSET = Property.of("offset", PropertyTypes.SIZE).defaultValue(0L)
            .description("where the image starts in the child");
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE)
            .description("the image's size (default: the rest of the child)");

    private BlockNode child;
    private long size;

    @Override protected void open() {
        if (!(get(FILE) instanceof BlockNode c)) throw new QomException("node '" + name() + "': 'file' is not a block node");
        if (!c.isRealized()) throw new QomException("node '" + name() + "': child '" + c.name() + "' is not open");
        long off = get(OFFSET);
        if (off > c.size()) throw new QomException("The sum of offset (" + off + ") and size (0) has to be smaller or equal to the actual size of the containing file (" + c.size() + ")");
        long sz = get(SIZE) != null ? get(SIZE) : c.size() - off;
        if (off + sz > c.size() || off + sz < 0)
            throw new QomException("The sum of offset (" + off + ") and size (" + sz + ") has to be smaller or equal to the actual size of the containing file (" + c.size() + ")");
        if (!get(READ_ONLY) && !get(SNAPSHOT) && c.isReadOnly())
            throw new QomException("Block node '" + c.name() + "' is read-only: open '" + name() + "' with read-only=on or snapshot=on");
        child = c;
        size = sz;
    }

    @Override protected void closeNode() { child = null; }

    /** After the child was resized under a node that spans all of it. */
    void sizeChanged() { if (child != null) size = child.size() - get(OFFSET); }

    @Override public long size() { return size; }

    @Override String driver() { return "raw"; }

    @Override String filename() { return get(FILE) instanceof BlockNode c ? c.filename() : ""; }

    @Override FileNode fileNode() { return get(FILE) instanceof BlockNode c ? c.fileNode() : null; }


    private BlockNode child() throws IOException {
        BlockNode c = child;
        if (c == null) throw new IOException("Block node '" + name() + "' is closed");
        return c;
    }

    @Override protected void doRead(long offset, ByteBuffer dst) throws IOException { child().readAt(get(OFFSET) + offset, dst); }

    @Override protected void doWrite(long offset, ByteBuffer src) throws IOException { child().writeAt(get(OFFSET) + offset, src); }

    @Override protected void doFlush() throws IOException { child().flushNow(); }

    @Override protected void doDiscard(long offset, long length) throws IOException { child().discardAt(get(OFFSET) + offset, length); }
}
