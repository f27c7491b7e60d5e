package org.orrery.device.testing;

import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;

import java.util.LinkedHashMap;
import java.util.Map;

/** A device-tree context for unit tests: a root with /soc and /chosen, phandles from 1, one hart intc per hart. */
public final class SimpleDtContext implements DeviceTreeContext {
    private final FdtNode root = new FdtNode("");
    private final FdtNode soc = root.childOrNew("soc");
    private final FdtNode chosen = root.childOrNew("chosen");
    private final Map<String, Integer> phandles = new LinkedHashMap<>();
    private final int harts;

    public SimpleDtContext() { this(1); }

    public SimpleDtContext(int harts) {
        this.harts = harts;
        for (int i = 0; i < harts; i++) phandle("cpu" + i + "-intc");
    }

    @Override public FdtNode root() { return root; }
    @Override public FdtNode soc() { return soc; }
    @Override public FdtNode chosen() { return chosen; }
    @Override public int interruptParent() { return phandle("plic"); }
    @Override public int phandle(String label) { return phandles.computeIfAbsent(label, k -> phandles.size() + 1); }

    @Override public int[] hartInterruptControllers() {
        int[] out = new int[harts];
        for (int i = 0; i < harts; i++) out[i] = phandle("cpu" + i + "-intc");
        return out;
    }

    @Override public long timebaseFrequency() { return 10_000_000L; }

    /** Lets {@code device} contribute to this tree and returns its node {@code /soc/name} (null when it made none). */
    public FdtNode socNode(org.orrery.machine.device.DeviceTreeContributor device, String name) {
        device.contributeDeviceTree(this);
        return soc.child(name);
    }
}
