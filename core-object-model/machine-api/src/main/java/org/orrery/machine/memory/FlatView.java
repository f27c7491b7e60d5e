package org.orrery.machine.memory;

import java.util.ArrayList;
import java.util.List;

/** An immutable, sorted, non-overlapping list of sections: the region tree resolved for lookup. */
public final class FlatView {
    private final Section[] sections;
    private final long[] starts;

    FlatView(List<Section> sorted) {
        this.sections = sorted.toArray(Section[]::new);
        this.starts = new long[sections.length];
        for (int i = 0; i < sections.length; i++) starts[i] = sections[i].start();
    }

    /** The section holding {@code address}, or null when nothing is mapped there. */
    public Section find(long address) {
        int lo = 0, hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], address) <= 0) lo = mid + 1; else hi = mid - 1;
        }
        if (hi < 0) return null;
        Section s = sections[hi];
        return s.contains(address) ? s : null;
    }

    public List<Section> sections() { return List.of(sections); }

    /** Flattens a region tree placed at {@code base}. */
    static FlatView of(MemoryRegion root) {
        List<Section> out = new ArrayList<>();
        render(root, 0, 0, root.size(), out);
        // a lambda, not Comparator.comparingLong: the JDK links its serializable lambdas at run time (Start-up)
        out.sort((a, b) -> Long.compare(a.start(), b.start()));
        return new FlatView(out);
    }

    // Paints leaves from lowest to highest priority; later paints cut holes in earlier ones.
    private static void render(MemoryRegion r, long base, long clipStart, long clipEnd, List<Section> out) {
        long start = Math.max(base, clipStart), end = Math.min(base + r.size(), clipEnd);
        if (start >= end) return;
        switch (r.kind()) {
            case RAM, ROM, MMIO -> paint(out, new Section(start, end - start, r, start - base));
            case ALIAS -> renderAlias(r.aliasTarget(), base - r.aliasOffset(), start, end, out);
            case CONTAINER -> {
                List<MemoryRegion.Placement> subs = new ArrayList<>(r.subregions());
                subs.sort((a, b) -> Integer.compare(a.priority(), b.priority()));
                for (MemoryRegion.Placement p : subs) render(p.region(), base + p.offset(), start, end, out);
            }
        }
    }

    private static void renderAlias(MemoryRegion target, long targetBase, long start, long end, List<Section> out) {
        render(target, targetBase, start, end, out);
    }

    private static void paint(List<Section> out, Section s) {
        List<Section> kept = new ArrayList<>(out.size() + 2);
        for (Section o : out) {
            if (o.end() <= s.start() || o.start() >= s.end()) { kept.add(o); continue; }
            if (o.start() < s.start()) kept.add(new Section(o.start(), s.start() - o.start(), o.region(), o.regionOffset()));
            if (o.end() > s.end()) kept.add(new Section(s.end(), o.end() - s.end(), o.region(), o.regionOffset() + (s.end() - o.start())));
        }
        kept.add(s);
        out.clear();
        out.addAll(kept);
    }
}
