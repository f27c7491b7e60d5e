package org.orrery.migration.internal;

import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.backend.BlockBackend;
import org.orrery.machine.backend.InternalSnapshots;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots of the whole machine kept inside its disk images, as QEMU's savevm/loadvm/delvm and the
 * snapshot-save/-load/-delete jobs make them: every disk gets a snapshot with the tag, and one of them (the
 * vmstate node) also keeps the machine's state. Every method runs at the machine's safe point with the guest
 * stopped ({@link Machine#call}); the guest runs on afterwards when it ran before.
 */
final class VmSnapshots {
    private final Machine machine;

    VmSnapshots(Machine machine) { this.machine = machine; }

    /** The writable disks that keep internal snapshots: what savevm and loadvm use when no list is given. */
    List<InternalSnapshots> allDisks() {
        List<InternalSnapshots> out = new ArrayList<>();
        for (QObject o : machine.tree().all())
            if (o instanceof InternalSnapshots s && !(o instanceof BlockBackend b && b.isReadOnly())) out.add(s);
        return out;
    }

    /** The disks named by node name (snapshot-save's devices). */
    List<InternalSnapshots> disks(List<String> nodeNames) {
        List<InternalSnapshots> all = allDisks(), out = new ArrayList<>();
        for (String n : nodeNames) {
            InternalSnapshots s = all.stream().filter(d -> d.nodeName().equals(n)).findFirst().orElse(null);
            if (s == null) throw new QomException("Could not find node '" + n + "' (or it cannot keep internal snapshots)");
            if (!out.contains(s)) out.add(s);
        }
        return out;
    }

    /** The disk that keeps the machine state (savevm: the first one). */
    static InternalSnapshots vmStateDisk(List<InternalSnapshots> disks, String nodeName) {
        if (disks.isEmpty()) throw new QomException("No block device can accept snapshots (a qcow2 disk is needed)");
        if (nodeName == null) return disks.get(0);
        for (InternalSnapshots d : disks) if (d.nodeName().equals(nodeName)) return d;
        throw new QomException("vmstate block device '" + nodeName + "' does not exist or is not in the list of devices");
    }

    static String defaultTag() { return "vm-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss")); }

    /** savevm (replace: an existing tag is overwritten) and snapshot-save (it is refused). */
    void save(String tag, List<InternalSnapshots> disks, InternalSnapshots vmDisk, boolean replace) throws IOException {
        if (machine.runState() == RunState.INMIGRATE || machine.runState() == RunState.PRECONFIG)
            throw new QomException("The machine is not built (or waits for a migration): there is nothing to snapshot");
        for (InternalSnapshots d : disks)
            if (!replace && find(d, tag) != null)
                throw new QomException("Snapshot '" + tag + "' already exists in one or more devices");
        stopped(RunState.SAVE_VM, wasRunning -> {
            long clock = machine.clock().nanos();
            for (InternalSnapshots d : disks) {
                if (d == vmDisk) continue;
                d.create(tag, clock, -1, null);
            }
            vmDisk.create(tag, clock, -1, out -> machine.saveState(out, wasRunning));
        });
    }

    /** loadvm and snapshot-load: every disk goes back to the tag, then the machine takes the state kept with it. */
    void load(String tag, List<InternalSnapshots> disks, InternalSnapshots vmDisk) throws IOException {
        for (InternalSnapshots d : disks)
            if (find(d, tag) == null) throw new QomException("Snapshot '" + tag + "' does not exist in device '" + d.nodeName() + "'");
        InternalSnapshots.Snapshot withState = find(vmDisk, tag);
        if (withState.vmStateSize() == 0) throw new QomException("Snapshot '" + tag + "' of '" + vmDisk.nodeName() + "' has no VM state");
        stopped(RunState.RESTORE_VM, wasRunning -> {
            for (InternalSnapshots d : disks) d.revert(tag);
            try (InputStream in = vmDisk.openVmState(tag)) {
                if (in == null) throw new QomException("Snapshot '" + tag + "' has no VM state");
                machine.loadState(in);
            }
        });
    }

    /** delvm and snapshot-delete: the tag goes from every disk that has it. */
    void delete(String tag, List<InternalSnapshots> disks) throws IOException {
        boolean any = false;
        for (InternalSnapshots d : disks) {
            if (find(d, tag) == null) continue;
            d.delete(tag);
            any = true;
        }
        if (!any) throw new QomException("Snapshot '" + tag + "' not found");
    }

    static InternalSnapshots.Snapshot find(InternalSnapshots d, String tag) throws IOException {
        for (InternalSnapshots.Snapshot s : d.snapshots()) if (s.name().equals(tag) || s.id().equals(tag)) return s;
        return null;
    }

    /** Work done with the guest stopped; told whether it ran before. */
    private interface Work {
        void run(boolean wasRunning) throws IOException;
    }

    /** Runs {@code work} with the guest stopped in {@code during}; afterwards it runs again if it ran before. */
    private void stopped(RunState during, Work work) throws IOException {
        RunState before = machine.runState();
        String reason = machine.pauseReason();
        boolean wasRunning = before.isRunning();
        machine.pause(during, null);
        try {
            work.run(wasRunning);
            // a whole state loaded over one that failed part way makes the machine fit to run again
            if (before == RunState.INTERNAL_ERROR && machine.runState() == during) before = RunState.PAUSED;
        } finally {
            // a state that failed part way left the machine in internal-error: it stays there
            if (machine.runState() == during) {
                if (wasRunning) {
                    machine.pause(RunState.PAUSED, null);
                    machine.resume();
                } else {
                    machine.pause(before, reason);
                }
            }
        }
    }
}
