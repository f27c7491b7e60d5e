package org.orrery.machine.memory;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The physical pages that CPUs of one address space hold decoded or translated code for, and the writes to
 * them (QEMU tracks the same as "dirty memory for code"). CPUs that cache code register here; a CPU never
 * maps a held page for fast writes, so every store into code takes its slow path and is announced here; DMA
 * and loaders writing through {@link AddressSpace} are announced too. Each holder then drops what the write
 * overwrote, on its own thread.
 *
 * <p>Every held page has a generation that each write moves on, so CPUs of one kind can share translations:
 * one CPU publishes what it translated from a page's code at a generation, and the others take it as long as
 * the page is still at that generation. Thread-safe: CPUs run on their own threads.
 */
public final class CodePages {
    /** A CPU that caches code. Its methods are called on the writer's thread and must only queue work. */
    public interface Holder {
        /** [address, address+length) of a page this holder holds was written by another CPU, a device or a loader. */
        void codeWritten(long address, long length);

        /** Another CPU began holding this page: stop writing to it through any fast path. */
        void pageHeld(long page);
    }

    private static final class Page {
        final Set<Holder> holders = ConcurrentHashMap.newKeySet();
        volatile long generation;
        Page(long generation) { this.generation = generation; }
    }

    /**
     * With equals and hashCode of its own: a record's generated ones are linked by the JDK at their first call
     * (method handles spun at run time), which was on the hart's thread as the guest started, ~5 ms.
     */
    private record Key(Object flavor, long entry) {
        @Override public boolean equals(Object o) { return o instanceof Key k && entry == k.entry && Objects.equals(flavor, k.flavor); }
        @Override public int hashCode() { return 31 * Objects.hashCode(flavor) + Long.hashCode(entry); }
    }
    private record Shared(long generation, Object translation) { }

    private final List<Holder> holders = new CopyOnWriteArrayList<>();
    private final Map<Long, Page> held = new ConcurrentHashMap<>();
    /** Generations are never reused, so a page held again never matches a translation from its last tenure. */
    private final AtomicLong generations = new AtomicLong();
    private final Map<Key, Shared> translations = new ConcurrentHashMap<>();
    private final Map<Class<?>, Object> attachments = new ConcurrentHashMap<>();

    public void attach(Holder h) { holders.add(h); }

    /** The holder goes (its CPU is closed); with the last one, the shared translations and attachments go too (they hold its classes). */
    public void detach(Holder h) {
        holders.remove(h);
        releaseAll(h);
        if (holders.isEmpty()) {
            translations.clear();
            attachments.clear();
        }
    }

    /**
     * State the CPUs of this address space share beside their translations (a kind of CPU keys it by a class of
     * its own), made by {@code make} for the first that asks. Dropped with the last holder, like the translations.
     */
    public <T> T attachment(Class<T> key, Supplier<? extends T> make) {
        return key.cast(attachments.computeIfAbsent(key, k -> Objects.requireNonNull(make.get())));
    }

    /** Registers that {@code h} holds code from the page; the other holders hear of a page held for the first time. */
    public void hold(Holder h, long page) {
        boolean[] first = {false};
        held.compute(page, (k, p) -> {
            if (p == null) { p = new Page(generations.incrementAndGet()); first[0] = true; }
            p.holders.add(h);
            return p;
        });
        if (first[0]) for (Holder other : holders) if (other != h) other.pageHeld(page);
    }

    public void release(Holder h, long page) {
        held.computeIfPresent(page, (k, p) -> {
            p.holders.remove(h);
            return p.holders.isEmpty() ? null : p;
        });
    }

    public void releaseAll(Holder h) {
        for (Long page : List.copyOf(held.keySet())) release(h, page);
    }

    /** Whether any CPU holds code from the page (a CPU must then not map it for fast writes). */
    public boolean isHeld(long page) { return held.containsKey(page); }

    /** The page's current generation, or -1 when no CPU holds it. */
    public long generation(long page) {
        Page p = held.get(page);
        return p == null ? -1 : p.generation;
    }

    /** Announces a write to every holder of the pages in [address, address+length) except {@code writer}. */
    public void written(long address, long length, Holder writer) {
        if (held.isEmpty() || length <= 0) return;
        for (long page = address >>> 12, last = (address + length - 1) >>> 12; page <= last; page++) {
            Page p = held.get(page);
            if (p == null) continue;
            p.generation = generations.incrementAndGet();
            long from = Math.max(address, page << 12), to = Math.min(address + length, (page + 1) << 12);
            for (Holder h : p.holders) if (h != writer) h.codeWritten(from, to - from);
        }
    }

    /**
     * Offers a translation of the code at physical address {@code entry}, made from its page at
     * {@code generation}, to CPUs of the same {@code flavor} (whatever decides how that CPU translates).
     */
    public void share(Object flavor, long entry, long generation, Object translation) {
        if (generation(entry >>> 12) == generation) translations.put(new Key(flavor, entry), new Shared(generation, translation));
    }

    /** What a claimed entry holds until its translation is shared. */
    private static final Object BEING_TRANSLATED = new Object();

    /**
     * Claims the translation of the code at {@code entry} for the caller: true when no CPU of the flavor has
     * translated it or is translating it from the page as it is now. A CPU that gets false goes on without
     * (another's translation comes through {@link #shared}), so two harts entering the same hot loop at once
     * do not both translate it and both make the JVM compile it. The claimer {@link #share}s or
     * {@link #unclaim}s.
     */
    public boolean claim(Object flavor, long entry, long generation) {
        if (generation(entry >>> 12) != generation) return true;   // a page nobody else can share from
        Key k = new Key(Objects.requireNonNull(flavor), entry);
        Shared claim = new Shared(generation, BEING_TRANSLATED);
        while (true) {
            Shared s = translations.putIfAbsent(k, claim);
            if (s == null) return true;
            if (s.generation() == generation) return false;
            if (translations.replace(k, s, claim)) return true;   // left from before the page changed
        }
    }

    /** Gives up a claim that brought no translation (the page changed meanwhile, or nothing was translatable). */
    public void unclaim(Object flavor, long entry) {
        Key k = new Key(Objects.requireNonNull(flavor), entry);
        Shared s = translations.get(k);
        if (s != null && s.translation() == BEING_TRANSLATED) translations.remove(k, s);
    }

    /** Forgets every shared translation (a CPU dropped all its code to stay under its cap: nothing may keep it alive). */
    public void forgetShared() { translations.clear(); }

    /** A translation of the code at {@code entry} another CPU of the flavor shared, if the page has not changed since; else null. */
    public Object shared(Object flavor, long entry) {
        Key k = new Key(Objects.requireNonNull(flavor), entry);
        Shared s = translations.get(k);
        if (s == null) return null;
        if (s.generation() != generation(entry >>> 12)) {
            translations.remove(k, s);
            return null;
        }
        return s.translation() == BEING_TRANSLATED ? null : s.translation();
    }
}
