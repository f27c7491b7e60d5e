package org.orrery.backend.block.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.backend.block.qcow2.Qcow2Create;
import org.orrery.machine.job.Jobs;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code blockdev-create} as QEMU 7.2 runs it: a job (on the machine's {@link org.orrery.machine.job.Jobs}) that
 * creates an image (driver file: an empty file of the given size; driver qcow2: a new image on an open file node).
 */
final class CreateJobs {
    private final ObjectTree tree;

    CreateJobs(ObjectTree tree) { this.tree = tree; }

    void start(String id, ObjectNode options) {
        String driver = options.path("driver").asText("");
        if (!driver.equals("file") && !driver.equals("qcow2"))
            throw new QomException("Driver '" + driver + "' does not support blockdev-create (here: file, qcow2)");
        if (!options.has("size")) throw new QomException("Parameter 'options.size' is missing");
        Jobs jobs = tree.attachment(Jobs.class);
        if (jobs == null) throw new QomException("blockdev-create needs a machine to run its job");
        jobs.start(id, "create", () -> create(driver, options));
    }

    private void create(String driver, ObjectNode o) throws IOException {
        long size = o.path("size").asLong();
        if (driver.equals("file")) {
            String filename = o.path("filename").asText(null);
            if (filename == null) throw new QomException("Parameter 'options.filename' is missing");
            try (FileChannel ch = FileChannel.open(Path.of(filename), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.truncate(0);
                if (size > 0) ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
            }
            return;
        }
        String fileRef = o.path("file").asText(null);
        QObject node = fileRef == null ? null : tree.resolve(BlockCommands.CONTAINER + "/" + fileRef);
        if (!(node instanceof FileNode f)) throw new QomException("Cannot find device='' nor node-name='" + fileRef + "'");
        String version = o.path("version").asText("v3");
        if (!version.equals("v2") && !version.equals("v3")) throw new QomException("Invalid parameter 'options.version': " + version);
        Qcow2Create.Spec spec = new Qcow2Create.Spec(size, version.equals("v2") ? 2 : 3, o.path("cluster-size").asInt(65536),
                o.path("refcount-bits").asInt(16), o.path("lazy-refcounts").asBoolean(false),
                o.path("backing-file").asText(null), o.path("backing-fmt").asText(null));
        if (o.has("preallocation") && !o.path("preallocation").asText().equals("off"))
            throw new QomException("Preallocation mode '" + o.path("preallocation").asText() + "' is not supported here");
        Qcow2Create.create(f, f.filename(), spec);
    }
}
