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
}
