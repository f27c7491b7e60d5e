package org.orrery.backend.block.qcow2;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/** The L2 tables of an open image by offset, least recently used first; dirty tables are written back only by writers. */
final class L2Cache {
    /** One L2 table: where it lies in the file, its entries, and whether they differ from the file's. */
    static final class L2Table {
        final long offset;
        final long[] entries;
        boolean dirty;
        L2Table(long offset, long[] entries) { this.offset = offset; this.entries = entries; }
    }

    /** Where the tables come from and go to: the image, which knows the order metadata must reach the disk in. */
    interface Store {
        long[] read(long offset) throws IOException;

        /** Called once per trim, before the first dirty table is written back (refcounts go first). */
        void beforeWriteBack() throws IOException;

        void writeBack(L2Table t) throws IOException;
    }

    private final int capacity;
    private final Store store;
    private final LinkedHashMap<Long, L2Table> tables = new LinkedHashMap<>(64, 0.75f, true);

    L2Cache(int capacity, Store store) {
        this.capacity = capacity;
        this.store = store;
    }

    synchronized L2Table get(long offset) throws IOException {
        L2Table t = tables.get(offset);
        if (t != null) return t;
        t = new L2Table(offset, store.read(offset));
        tables.put(offset, t);
        if (tables.size() > capacity) {
            // readers evict clean tables only; writers trim the rest
            Iterator<L2Table> it = tables.values().iterator();
            while (it.hasNext() && tables.size() > capacity) {
                L2Table v = it.next();
                if (!v.dirty && v != t) it.remove();
            }
        }
        return t;
    }

    synchronized void add(L2Table t) { tables.put(t.offset, t); }

    /** Forgets every table (call only when none is dirty). */
    synchronized void clear() { tables.clear(); }

    synchronized void remove(long offset) { tables.remove(offset); }

    synchronized List<L2Table> dirty() {
        List<L2Table> out = new ArrayList<>();
        for (L2Table t : tables.values()) if (t.dirty) out.add(t);
        return out;
    }

    /** Writes back and drops least recently used tables over capacity (write lock held). */
    synchronized void trim() throws IOException {
        if (tables.size() <= capacity) return;
        boolean storePrepared = false;
        Iterator<L2Table> it = tables.values().iterator();
        while (it.hasNext() && tables.size() > capacity) {
            L2Table v = it.next();
            if (v.dirty) {
                if (!storePrepared) {
                    store.beforeWriteBack();
                    storePrepared = true;
                }
                store.writeBack(v);
            }
            it.remove();
        }
    }
}
