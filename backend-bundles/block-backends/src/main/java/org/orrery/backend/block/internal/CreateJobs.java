package org.orrery.backend.block.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.backend.block.qcow2.Qcow2Create;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code blockdev-create} as QEMU 7.2 runs it: a job that creates an image (driver file: an empty file of the
 * given size; driver qcow2: a new image on an open file node), announced with JOB_STATUS_CHANGE events
 * (created, running, waiting, pending, concluded) and kept, concluded, until {@code job-dismiss}.
 * One set of jobs per machine's tree.
 */
final class CreateJobs {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private record Job(String id, String status, String error) { }

    private final ObjectTree tree;
    private final Map<String, Job> jobs = new LinkedHashMap<>();

    CreateJobs(ObjectTree tree) { this.tree = tree; }

    void start(String id, ObjectNode options) {
        if (jobs.containsKey(id)) throw new QomException("Job ID '" + id + "' already in use");
        if (!id.matches("[A-Za-z][A-Za-z0-9_.-]{0,127}")) throw new QomException("Invalid job ID '" + id + "'");
        String driver = options.path("driver").asText("");
        if (!driver.equals("file") && !driver.equals("qcow2"))
            throw new QomException("Driver '" + driver + "' does not support blockdev-create (here: file, qcow2)");
        if (!options.has("size")) throw new QomException("Parameter 'options.size' is missing");
        change(id, "created", null);
        // the work runs after this command's answer, as QEMU's job coroutine does
        tree.safePoint().post(() -> {
            change(id, "running", null);
            String error = null;
            try {
                create(driver, options);
            } catch (IOException | RuntimeException e) {
                error = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            if (error == null) {
                change(id, "waiting", null);
                change(id, "pending", null);
            } else {
                change(id, "aborting", error);
            }
            change(id, "concluded", error);
        });
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

    private void change(String id, String status, String error) {
        jobs.put(id, new Job(id, status, error));
        tree.events().emit("JOB_STATUS_CHANGE", F.objectNode().put("id", id).put("status", status));
    }

    void dismiss(String id) {
        Job j = jobs.get(id);
        if (j == null) throw new QomException("Job not found");
        if (!j.status().equals("concluded")) throw new QomException("Job '" + id + "' in state '" + j.status() + "' cannot accept command verb 'dismiss'");
        jobs.remove(id);
        tree.events().emit("JOB_STATUS_CHANGE", F.objectNode().put("id", id).put("status", "null"));
    }

    JsonNode query() {
        ArrayNode out = F.arrayNode();
        for (Job j : jobs.values()) {
            ObjectNode n = out.addObject();
            n.put("id", j.id()).put("type", "create").put("status", j.status());
            boolean done = j.status().equals("concluded") || j.status().equals("pending") || j.status().equals("waiting");
            n.put("current-progress", done ? 1 : 0).put("total-progress", 1);
            if (j.error() != null) n.put("error", j.error());
        }
        return out;
    }
}
