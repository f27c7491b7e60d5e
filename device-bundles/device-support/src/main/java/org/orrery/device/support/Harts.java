package org.orrery.device.support;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.CpuDevice;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.List;

/** Finds CPUs by hart id, as QEMU's interrupt controllers find the harts they wire to. */
public final class Harts {
    private Harts() { }

    /** Every realized CPU of the tree, in tree order. */
    public static List<CpuDevice> cpus(ObjectTree tree) {
        List<CpuDevice> out = new ArrayList<>();
        for (QObject o : tree.all()) if (o instanceof CpuDevice c && o.isRealized()) out.add(c);
        return out;
    }

    /** The realized CPU whose {@code hartid} is {@code hartId}, or null. */
    public static CpuDevice cpu(ObjectTree tree, long hartId) {
        for (CpuDevice c : cpus(tree)) if (c.get(CpuDevice.HART_ID) == hartId) return c;
        return null;
    }

    /** The hart with id {@code hartId}, or a clear error naming {@code who} needs it. */
    public static Hart require(ObjectTree tree, long hartId, String who) {
        CpuDevice c = cpu(tree, hartId);
        if (c == null) throw new QomException(who + " needs a CPU with hartid " + hartId + ", but there is none (realize the CPUs first)");
        return c.hart();
    }
}
