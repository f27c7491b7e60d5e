package org.orrery.migration.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.state.MachineStateStats;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One machine's migration, either way, as query-migrate shows it: setup, active, then completed, failed or
 * cancelled. The machine's state is sent stop-and-copy: the guest stops (finish-migrate), the whole state is
 * written in one pass (zero pages skipped), and the source stays in postmigrate; the destination loads it and
 * runs on when the source ran. The work runs on a thread of its own that stops the guest through
 * {@link Machine#call}, so the monitors keep answering while a sender connects.
 */
final class Migration {
    private static final Logger LOG = Logger.getLogger(Migration.class.getName());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final Set<String> CAPABILITIES = Set.of("xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "compress",
            "events", "postcopy-ram", "x-colo", "release-ram", "block", "return-path", "pause-before-switchover",
            "multifd", "dirty-bitmaps", "postcopy-blocktime", "late-block-activate", "x-ignore-shared",
            "validate-uuid", "background-snapshot", "zero-copy-send", "postcopy-preempt");
    /** Capabilities that change nothing here: the stream is always one pass with zero pages skipped. */
    static final Set<String> HARMLESS = Set.of("events", "zero-blocks", "auto-converge", "late-block-activate",
            "validate-uuid", "pause-before-switchover");

    private final Machine machine;
    private final Set<String> enabled = new TreeSet<>();
    private volatile String status = "none";
    private volatile String error;
    private volatile long startedMillis, totalMillis, downtimeMillis, setupMillis;
    private volatile MachineStateStats stats;
    private volatile boolean cancelled;
    private volatile AutoCloseable channel;
    private boolean incomingStarted;

    Migration(Machine machine) { this.machine = machine; }

    // ---- capabilities ----

    synchronized void setCapability(String name, boolean on) {
        if (!CAPABILITIES.contains(name)) throw new QomException("Parameter 'capability' does not accept value '" + name + "'");
        if (on && !HARMLESS.contains(name)) throw new QomException("Migration capability '" + name + "' is not supported here");
        if (isActive()) throw new QomException("There's a migration process in progress");
        if (on) enabled.add(name); else enabled.remove(name);
    }

    synchronized boolean capability(String name) { return enabled.contains(name); }

    boolean isActive() { return status.equals("setup") || status.equals("active") || status.equals("device"); }

    // ---- outgoing ----

    void start(MigrationUri uri) {
        synchronized (this) {
            if (isActive()) throw new QomException("There's a migration process in progress");
            if (machine.runState() == RunState.INMIGRATE) throw new QomException("Guest is waiting for an incoming migration");
            cancelled = false;
            error = null;
            stats = null;
            startedMillis = System.currentTimeMillis();
            setStatus("setup");
        }
        Thread.ofVirtual().name("migrate " + uri.text()).start(() -> send(uri));
    }

    private void send(MigrationUri uri) {
        boolean[] wasRunning = new boolean[1];
        try (OutputStream out = uri.connect()) {
            channel = out;
            setupMillis = System.currentTimeMillis() - startedMillis;
            setStatus("active");
            if (cancelled) throw new IOException("cancelled");
            long[] stopped = new long[1];
            stats = machine.call(() -> {
                wasRunning[0] = machine.runState().isRunning();
                stopped[0] = System.currentTimeMillis();
                machine.pause(RunState.FINISH_MIGRATE, null);
                MachineStateStats s = machine.saveState(out, wasRunning[0]);
                out.flush();
                return s;
            });
            out.close();   // an exec: command has written everything once this returns
            downtimeMillis = System.currentTimeMillis() - stopped[0];
            machine.call(() -> { machine.pause(RunState.POSTMIGRATE, null); return null; });
            finish("completed", null);
        } catch (Exception e) {
            String why = cancelled ? null : message(e);
            if (why != null) LOG.log(Level.WARNING, "migration to " + uri.text() + " failed: " + why);
            // the guest goes on where it was: QEMU resumes a source whose migration failed
            try {
                machine.call(() -> {
                    if (machine.runState() == RunState.FINISH_MIGRATE) {
                        machine.pause(RunState.PAUSED, null);
                        if (wasRunning[0]) machine.resume();
                    }
                    return null;
                });
            } catch (RuntimeException ignored) {
                // the machine is gone (quit while migrating)
            }
            finish(cancelled ? "cancelled" : "failed", why);
        } finally {
            channel = null;
        }
    }

    void cancel() {
        if (!isActive()) return;
        cancelled = true;
        AutoCloseable c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing is how the sender is stopped; its own error path reports
            }
        }
    }

    // ---- incoming ----

    /** Binds the incoming side now and loads the state when the sender comes (migrate-incoming, -incoming URI). */
    void listen(MigrationUri uri) {
        MigrationUri.Incoming incoming;
        synchronized (this) {
            if (machine.runState() != RunState.INMIGRATE)
                throw new QomException("'-incoming' was not specified on the command line");
            if (incomingStarted) throw new QomException("The incoming migration has already been started");
            try {
                incoming = uri.listen();
            } catch (IOException e) {
                throw new QomException("Failed to listen on '" + uri.text() + "': " + e.getMessage());
            }
            incomingStarted = true;
            startedMillis = System.currentTimeMillis();
            channel = incoming;
            setStatus("setup");
        }
        Thread.ofVirtual().name("incoming " + uri.text()).start(() -> receive(uri, incoming));
    }

    private void receive(MigrationUri uri, MigrationUri.Incoming incoming) {
        try (InputStream in = incoming.accept()) {
            channel = in;
            setupMillis = System.currentTimeMillis() - startedMillis;
            setStatus("active");
            MachineStateStats loaded = machine.call(() -> machine.loadState(in));
            stats = loaded;
            machine.call(() -> { machine.incomingFinished(loaded, null); return null; });
            finish("completed", null);
        } catch (Exception e) {
            String why = message(e);
            LOG.log(Level.SEVERE, "incoming migration from " + uri.text() + " failed: " + why);
            try {
                machine.call(() -> { machine.incomingFinished(null, why); return null; });
            } catch (RuntimeException ignored) {
                // the machine is gone
            }
            finish("failed", why);
        } finally {
            incoming.close();
            channel = null;
        }
    }

    // ---- status ----

    private void finish(String end, String why) {
        error = why;
        totalMillis = System.currentTimeMillis() - startedMillis;
        setStatus(end);
    }

    private void setStatus(String s) {
        status = s;
        if (capability("events"))
            machine.tree().safePoint().post(() -> machine.tree().events().emit("MIGRATION", F.objectNode().put("status", s)));
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** query-migrate: nothing before the first migration, as QEMU. */
    ObjectNode query() {
        ObjectNode o = F.objectNode();
        String s = status;
        if (s.equals("none")) return o;
        o.put("status", s);
        boolean done = s.equals("completed");
        o.put("setup-time", setupMillis);
        if (done || s.equals("failed") || s.equals("cancelled")) o.put("total-time", totalMillis);
        else o.put("total-time", System.currentTimeMillis() - startedMillis);
        if (done) o.put("downtime", downtimeMillis);
        MachineStateStats st = stats;
        if (st != null) {
            ObjectNode ram = o.putObject("ram");
            long normalBytes = st.normalPages() * MachineStateStats.PAGE;
            ram.put("transferred", st.bytes()).put("remaining", 0).put("total", (st.normalPages() + st.zeroPages()) * MachineStateStats.PAGE)
                    .put("duplicate", st.zeroPages()).put("skipped", 0).put("normal", st.normalPages()).put("normal-bytes", normalBytes)
                    .put("dirty-sync-count", 1).put("page-size", MachineStateStats.PAGE).put("multifd-bytes", 0)
                    .put("pages-per-second", st.nanos() > 0 ? st.normalPages() * 1_000_000_000L / st.nanos() : 0)
                    .put("precopy-bytes", st.bytes()).put("downtime-bytes", 0).put("postcopy-bytes", 0)
                    .put("postcopy-requests", 0).put("dirty-pages-rate", 0)
                    .put("mbps", st.nanos() > 0 ? st.bytes() * 8e3 / st.nanos() : 0.0);
        }
        if (error != null) o.put("error-desc", error);
        return o;
    }
}
