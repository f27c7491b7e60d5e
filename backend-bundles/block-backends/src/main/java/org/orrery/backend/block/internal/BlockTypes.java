package org.orrery.backend.block.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * The block node types. Devices link to any {@code block-node} with
 * {@code PropertyTypes.link("block-node", QObject.class, "/blockdevs")} and cast the target to BlockBackend.
 */
public final class BlockTypes {
    private BlockTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Node implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("block-node").parent("object").abstractType()
                    .description("A node of the block graph at /blockdevs/NODE-NAME; the BlockBackend a device's drive links to")
                    .properties(BlockNode.READ_ONLY, BlockNode.AUTO_READ_ONLY, BlockNode.FORCE_SHARE, BlockNode.DETECT_ZEROES,
                            BlockNode.SNAPSHOT, BlockNode.WRITE_THROUGH);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class File implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("blockdev-file").parent("block-node")
                    .description("The file protocol: a host file read and written in place")
                    .properties(FileNode.FILENAME, FileNode.CACHE_DIRECT, FileNode.CACHE_NO_FLUSH, FileNode.LOCKING,
                            FileNode.DISCARD, FileNode.AIO)
                    .creates(FileNode::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Raw implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("blockdev-raw").parent("block-node")
                    .description("The raw format over a child node, optionally a window of it (offset, size)")
                    .properties(RawNode.FILE, RawNode.OFFSET, RawNode.SIZE)
                    .creates(RawNode::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Qcow2 implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("blockdev-qcow2").parent("block-node")
                    .description("The qcow2 format (versions 2 and 3) over a file node, with its backing chain")
                    .properties(Qcow2Node.FILE, Qcow2Node.BACKING, Qcow2Node.LAZY_REFCOUNTS, Qcow2Node.CACHE_SIZE, Qcow2Node.L2_CACHE_SIZE,
                            Qcow2Node.REFCOUNT_CACHE_SIZE, Qcow2Node.CACHE_CLEAN_INTERVAL, Qcow2Node.PASS_DISCARD_REQUEST)
                    .creates(Qcow2Node::new);
        }
    }
}
