package org.orrery.machine.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A block node that keeps snapshots inside its image (qcow2's internal snapshots, what QEMU's {@code savevm}
 * and {@code qemu-img snapshot} write): the disk's contents at a point in time and, optionally, the machine's
 * state saved beside them. Called at the machine's safe point with the node's I/O drained; each call leaves
 * the image consistent on disk ({@code qemu-img check} clean) whether it succeeds or fails.
 */
public interface InternalSnapshots {
    /** One snapshot as {@code qemu-img snapshot -l} lists it. */
    record Snapshot(String id, String name, long vmStateSize, long dateSeconds, long dateNanos,
                    long vmClockNanos, long icount) { }

    /** The node's name as query-block and the snapshot commands know it. */
    String nodeName();

    List<Snapshot> snapshots() throws IOException;

    /** Writes the machine state of a snapshot being made, as one sequential stream. */
    @FunctionalInterface
    interface StateWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Makes snapshot {@code name} of the disk as it is now (a new id); when {@code vmState} is not null, its
     * bytes are stored in the image with it. An existing snapshot with that name is replaced, as savevm does.
     */
    Snapshot create(String name, long vmClockNanos, long icount, StateWriter vmState) throws IOException;

    /** Reverts the disk to the snapshot with this id or name; the snapshot stays. */
    void revert(String idOrName) throws IOException;

    /** The machine state stored with the snapshot, or null when it has none. */
    InputStream openVmState(String idOrName) throws IOException;

    /** Deletes the snapshot with this id or name, freeing the clusters only it used. */
    void delete(String idOrName) throws IOException;
}
