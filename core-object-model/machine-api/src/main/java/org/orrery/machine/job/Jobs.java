package org.orrery.machine.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A machine's jobs, as QEMU 7.2 runs them: each announced with JOB_STATUS_CHANGE events (created, running,
 * waiting, pending, concluded; or aborting, concluded with an error) and kept, concluded, until job-dismiss.
 * Status changes happen on the machine's safe point; the work runs there too, or on a thread of its own when
 * it must stop the guest or wait for I/O ({@link #startOnThread}).
 */
public final class Jobs {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** What a job does; its exception's message becomes the job's error. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    private record Job(String id, String type, String status, String error) { }

    private final ObjectTree tree;
    private final Map<String, Job> jobs = new LinkedHashMap<>();

    public Jobs(ObjectTree tree) { this.tree = tree; }

    /** Starts a job whose work runs on the machine's safe point after this command's answer, as QEMU's job coroutine does. */
    public void start(String id, String type, Work work) {
        created(id, type);
        tree.safePoint().post(() -> run(id, type, work));
    }

    /** Starts a job whose work runs on a thread of its own (it may stop the guest through Machine.call, or block on I/O). */
    public void startOnThread(String id, String type, Work work) {
        created(id, type);
        Thread.ofVirtual().name("job " + id).start(() -> {
            tree.safePoint().post(() -> change(id, type, "running", null));
            String error = errorOf(work);
            tree.safePoint().post(() -> conclude(id, type, error));
        });
    }

    private void created(String id, String type) {
        if (!id.matches("[A-Za-z][A-Za-z0-9_.-]{0,127}")) throw new QomException("Invalid job ID '" + id + "'");
        synchronized (jobs) {
            if (jobs.containsKey(id)) throw new QomException("Job ID '" + id + "' already in use");
            change(id, type, "created", null);
        }
    }

    private void run(String id, String type, Work work) {
        change(id, type, "running", null);
        conclude(id, type, errorOf(work));
    }

    private static String errorOf(Work work) {
        try {
            work.run();
            return null;
        } catch (Exception | LinkageError e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    private void conclude(String id, String type, String error) {
        if (error == null) {
            change(id, type, "waiting", null);
            change(id, type, "pending", null);
        } else {
            change(id, type, "aborting", error);
        }
        change(id, type, "concluded", error);
    }

    private void change(String id, String type, String status, String error) {
        synchronized (jobs) { jobs.put(id, new Job(id, type, status, error)); }
        tree.events().emit("JOB_STATUS_CHANGE", F.objectNode().put("id", id).put("status", status));
    }

    /** job-dismiss: forgets a concluded job. */
    public void dismiss(String id) {
        synchronized (jobs) {
            Job j = jobs.get(id);
            if (j == null) throw new QomException("Job not found");
            if (!j.status().equals("concluded"))
                throw new QomException("Job '" + id + "' in state '" + j.status() + "' cannot accept command verb 'dismiss'");
            jobs.remove(id);
        }
        tree.events().emit("JOB_STATUS_CHANGE", F.objectNode().put("id", id).put("status", "null"));
    }

    /** query-jobs. */
    public JsonNode query() {
        ArrayNode out = F.arrayNode();
        synchronized (jobs) {
            for (Job j : jobs.values()) {
                ObjectNode n = out.addObject();
                n.put("id", j.id()).put("type", j.type()).put("status", j.status());
                boolean done = j.status().equals("concluded") || j.status().equals("pending") || j.status().equals("waiting");
                n.put("current-progress", done ? 1 : 0).put("total-progress", 1);
                if (j.error() != null) n.put("error", j.error());
            }
        }
        return out;
    }
}
