package org.orrery.migration.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.machine.Machine;
import org.orrery.machine.backend.InternalSnapshots;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartState;
import org.orrery.machine.device.Device;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The migration and snapshot commands: migrate, migrate-incoming, query-migrate, migrate_cancel, the migration
 * capabilities; snapshot-save/-load/-delete jobs and the synchronous x-vm-snapshot-* that HMP's savevm, loadvm,
 * delvm and info snapshots use; x-query-vmstate, the declared state of every device and hart.
 */
@Component(service = CommandModule.class)
public final class MigrationCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final Map<Machine, Migration> migrations = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    public MigrationCommands() {
        on("migrate", (a, c) -> {
            if (a.bool("blk", false) || a.bool("inc", false)) throw new QomException("Block migration is not supported: the disks must be shared");
            if (a.bool("resume", false)) throw new QomException("Postcopy recovery is not supported: there is no postcopy");
            migration(c).start(MigrationUri.parse(a.str("uri")));
            return F.objectNode();
        });
        on("migrate-incoming", (a, c) -> { migration(c).listen(MigrationUri.parse(a.str("uri"))); return F.objectNode(); });
        on("query-migrate", (a, c) -> migration(c).query());
        on("migrate_cancel", (a, c) -> { migration(c).cancel(); return F.objectNode(); });
        on("migrate-set-capabilities", (a, c) -> {
            Migration m = migration(c);
            for (JsonNode cap : a.get("capabilities")) m.setCapability(cap.path("capability").asText(), cap.path("state").asBoolean());
            return F.objectNode();
        });
        on("query-migrate-capabilities", (a, c) -> {
            Migration m = migration(c);
            ArrayNode out = F.arrayNode();
            for (String cap : new TreeSet<>(Migration.CAPABILITIES)) out.addObject().put("capability", cap).put("state", m.capability(cap));
            return out;
        });

        on("snapshot-save", (a, c) -> snapshotJob(a, c, "snapshot-save",
                (s, disks) -> s.save(a.str("tag"), disks, VmSnapshots.vmStateDisk(disks, a.str("vmstate")), false)));
        on("snapshot-load", (a, c) -> snapshotJob(a, c, "snapshot-load",
                (s, disks) -> s.load(a.str("tag"), disks, VmSnapshots.vmStateDisk(disks, a.str("vmstate")))));
        on("snapshot-delete", (a, c) -> snapshotJob(a, c, "snapshot-delete", (s, disks) -> s.delete(a.str("tag"), disks)));

        on("x-vm-snapshot-save", (a, c) -> {
            VmSnapshots s = new VmSnapshots(machine(c));
            List<InternalSnapshots> disks = s.allDisks();
            String tag = a.str("tag", VmSnapshots.defaultTag());
            io(() -> s.save(tag, disks, VmSnapshots.vmStateDisk(disks, null), true));
            return F.objectNode().put("tag", tag);
        });
        on("x-vm-snapshot-load", (a, c) -> {
            VmSnapshots s = new VmSnapshots(machine(c));
            List<InternalSnapshots> disks = s.allDisks();
            io(() -> s.load(a.str("tag"), disks, VmSnapshots.vmStateDisk(disks, null)));
            return F.objectNode();
        });
        on("x-vm-snapshot-delete", (a, c) -> {
            VmSnapshots s = new VmSnapshots(machine(c));
            io(() -> s.delete(a.str("tag"), s.allDisks()));
            return F.objectNode();
        });
        on("x-query-vm-snapshots", (a, c) -> {
            VmSnapshots s = new VmSnapshots(machine(c));
            ArrayNode out = F.arrayNode();
            List<InternalSnapshots> disks = s.allDisks();
            if (disks.isEmpty()) return out;
            // as "info snapshots": those on the vmstate disk that every disk has
            try {
                for (InternalSnapshots.Snapshot sn : disks.get(0).snapshots()) {
                    boolean everywhere = true;
                    for (InternalSnapshots d : disks) everywhere &= VmSnapshots.find(d, sn.name()) != null;
                    if (everywhere) out.add(snapshotInfo(sn));
                }
            } catch (IOException e) {
                throw new QomException("Cannot read the snapshots of '" + disks.get(0).nodeName() + "': " + e.getMessage());
            }
            return out;
        });

        on("x-query-vmstate", (a, c) -> {
            Machine m = machine(c);
            ArrayNode out = F.arrayNode();
            for (QObject o : m.tree().all()) {
                if (!(o instanceof Device d) || !o.isRealized()) continue;
                StateDescription<?> desc = d.stateDescription();
                if (desc != null) out.addObject().put("path", o.path()).put("type", o.type().name()).set("state", desc.describe());
            }
            if (m.board() != null) {
                int i = 0;
                for (Hart h : m.board().harts()) {
                    HartState s = h.saveState();
                    if (s == null) continue;
                    ObjectNode n = out.addObject().put("path", "hart " + i++).put("type", s.format());
                    ObjectNode st = n.putObject("state").put("name", s.format()).put("version", 1).put("minimum-version", 1);
                    ArrayNode fs = st.putArray("fields");
                    for (String k : new TreeSet<>(s.values().keySet())) fs.addObject().put("name", k).put("type", "uint64");
                }
            }
            return out;
        });
    }

    static ObjectNode snapshotInfo(InternalSnapshots.Snapshot sn) {
        ObjectNode o = F.objectNode().put("id", sn.id()).put("name", sn.name()).put("vm-state-size", sn.vmStateSize())
                .put("date-sec", sn.dateSeconds()).put("date-nsec", sn.dateNanos())
                .put("vm-clock-sec", sn.vmClockNanos() / 1_000_000_000L).put("vm-clock-nsec", sn.vmClockNanos() % 1_000_000_000L);
        if (sn.icount() >= 0) o.put("icount", sn.icount());
        return o;
    }

    /** A date as "info snapshots" shows it (local time). */
    static String date(long seconds) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(Instant.ofEpochSecond(seconds).atZone(ZoneId.systemDefault()));
    }

    private interface SnapshotWork {
        void run(VmSnapshots snapshots, List<InternalSnapshots> disks) throws IOException;
    }

    /** A snapshot job on the disks named by {@code devices}, run with the guest stopped on a thread of its own. */
    private static ObjectNode snapshotJob(org.orrery.command.Arguments a, CommandContext c, String type, SnapshotWork work) {
        Machine m = machine(c);
        List<String> devices = strings(a.get("devices"));
        m.jobs().startOnThread(a.str("job-id"), type, () -> m.call(() -> {
            VmSnapshots s = new VmSnapshots(m);
            work.run(s, s.disks(devices));
            return null;
        }));
        return F.objectNode();
    }

    private interface IoWork {
        void run() throws IOException;
    }

    private static void io(IoWork w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new QomException(Migration.message(e));
        }
    }

    private static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        if (list != null) for (JsonNode n : list) out.add(n.asText());
        return out;
    }

    private Migration migration(CommandContext c) { return migrations.computeIfAbsent(machine(c), Migration::new); }

    private static Machine machine(CommandContext c) {
        Machine m = c.tree().attachment(Machine.class);
        if (m == null) throw new QomException("this command needs a machine");
        return m;
    }
}
