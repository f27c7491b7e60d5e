package org.orrery.machine.state;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.machine.clock.VirtualClock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The declared, versioned state of a type, as its properties are declared: named, typed fields read from and
 * written to an instance, optional subsections saved only when a predicate says they are needed, and migration
 * steps that turn a record of an older version into the next one. One description per type, kept in a static
 * constant:
 *
 * <pre>
 * static final StateDescription&lt;Uart&gt; STATE = StateDescription.of("ns16550a", Uart.class, 2)
 *     .u8("ier", u -&gt; u.ier, (u, v) -&gt; u.ier = (int) v)
 *     .bytes("rx-fifo", Uart::rxBytes, Uart::setRxBytes)
 *     .timer("tx-timer", u -&gt; u.txTimer)
 *     .migrate(1, old -&gt; old.put("rx-fifo", new byte[0]))   // version 1 had no FIFO
 *     .afterLoad(Uart::updateIrq)
 *     .build();
 * </pre>
 *
 * Restoring checks the whole record (version, every field's presence, kind and range, nested records) before it
 * changes anything, so a state that cannot be taken leaves the object as it was, with an error that says why.
 */
public final class StateDescription<T> {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String name;
    private final Class<T> type;
    private final int version;
    private final List<StateField<T>> fields;
    private final List<Subsection<T>> subsections;
    private final Map<Integer, Consumer<StateRecord>> migrations;
    private final List<Consumer<T>> beforeSave, afterLoad;

    private record Subsection<T>(StateDescription<T> description, Predicate<T> needed) { }

    private StateDescription(Builder<T> b) {
        name = b.name;
        type = b.type;
        version = b.version;
        fields = List.copyOf(b.fields.values());
        subsections = List.copyOf(b.subsections);
        migrations = Map.copyOf(b.migrations);
        beforeSave = List.copyOf(b.beforeSave);
        afterLoad = List.copyOf(b.afterLoad);
    }

    public static <T> Builder<T> of(String name, Class<T> type, int version) { return new Builder<>(name, type, version); }

    public String name() { return name; }

    public int version() { return version; }

    /** The oldest version a chain of migration steps leads from. */
    public int minimumVersion() {
        int v = version;
        while (migrations.containsKey(v - 1)) v--;
        return v;
    }

    public List<StateField<T>> fields() { return fields; }

    // ---- save ----

    public StateRecord save(T object) {
        beforeSave.forEach(h -> h.accept(object));
        StateRecord r = new StateRecord(name, version);
        for (StateField<T> f : fields) r.put(f.name(), f.save(object));
        for (Subsection<T> s : subsections)
            if (s.needed.test(object)) r.put(subsectionKey(s.description), s.description.save(object));
        return r;
    }

    StateRecord saveUnchecked(Object object) { return save(type.cast(object)); }

    // ---- restore ----

    /** Checks {@code saved} against {@code object} and loads it; nothing changes when it is refused. */
    public void restore(T object, StateRecord saved) {
        StateRecord migrated = check(object, saved);
        load(object, migrated);
    }

    void restoreUnchecked(Object object, StateRecord saved) { restore(type.cast(object), saved); }

    /**
     * The record migrated to this version and checked field by field against {@code object}; throws a
     * {@link StateException} naming the type, the version and the field when it cannot be taken.
     */
    public StateRecord check(T object, StateRecord saved) {
        if (!saved.name().equals(name))
            throw new StateException("a saved state of '" + saved.name() + "' cannot be loaded into '" + name + "'");
        if (saved.version() > version)
            throw new StateException("the saved state of '" + name + "' is version " + saved.version()
                    + "; this '" + name + "' takes versions " + minimumVersion() + " to " + version);
        if (saved.version() < minimumVersion())
            throw new StateException("the saved state of '" + name + "' is version " + saved.version()
                    + ", older than this '" + name + "' can migrate (versions " + minimumVersion() + " to " + version + ")");
        StateRecord r = saved.copy();
        while (r.version() < version) {
            try {
                migrations.get(r.version()).accept(r);
            } catch (StateException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new StateException("migrating the state of '" + name + "' from version " + r.version() + " failed: " + e.getMessage(), e);
            }
            r.setVersion(r.version() + 1);
        }
        List<String> known = new ArrayList<>();
        for (StateField<T> f : fields) {
            known.add(f.name());
            if (!r.has(f.name()))
                throw new StateException("the saved state of '" + name + "' (version " + saved.version() + ") has no field '" + f.name() + "'");
            try {
                f.check(object, r.get(f.name()));
            } catch (StateException e) {
                throw new StateException("'" + name + "' field '" + f.name() + "': " + e.getMessage(), e);
            }
        }
        for (Subsection<T> s : subsections) {
            String key = subsectionKey(s.description);
            known.add(key);
            if (r.has(key)) r.put(key, s.description.check(object, r.getRecord(key)));
        }
        for (String k : r.values().keySet())
            if (!known.contains(k))
                throw new StateException("the saved state of '" + name + "' has '" + k + "', which this version (" + version + ") does not know");
        return r;
    }

    /** Loads a record {@link #check} returned. */
    public void load(T object, StateRecord checked) {
        for (StateField<T> f : fields) f.load(object, checked.get(f.name()));
        for (Subsection<T> s : subsections) {
            String key = subsectionKey(s.description);
            if (checked.has(key)) s.description.load(object, checked.getRecord(key));
        }
        afterLoad.forEach(h -> h.accept(object));
    }

    private static String subsectionKey(StateDescription<?> d) { return "subsection " + d.name; }

    // ---- introspection ----

    /** The description as x-query-vmstate reports it. */
    public ObjectNode describe() {
        ObjectNode o = F.objectNode().put("name", name).put("version", version).put("minimum-version", minimumVersion());
        var fs = o.putArray("fields");
        for (StateField<T> f : fields) fs.addObject().put("name", f.name()).put("type", f.kind());
        if (!subsections.isEmpty()) {
            var ss = o.putArray("subsections");
            for (Subsection<T> s : subsections) ss.add(s.description.describe());
        }
        return o;
    }

    @Override public String toString() { return "state of " + name + " v" + version; }

    /** Builds a description; fields keep their declaration order. */
    public static final class Builder<T> {
        private final String name;
        private final Class<T> type;
        private final int version;
        private final LinkedHashMap<String, StateField<T>> fields = new LinkedHashMap<>();
        private final List<Subsection<T>> subsections = new ArrayList<>();
        private final TreeMap<Integer, Consumer<StateRecord>> migrations = new TreeMap<>();
        private final List<Consumer<T>> beforeSave = new ArrayList<>(), afterLoad = new ArrayList<>();

        private Builder(String name, Class<T> type, int version) {
            if (version < 1) throw new IllegalArgumentException("state version " + version + " of " + name);
            this.name = Objects.requireNonNull(name);
            this.type = Objects.requireNonNull(type);
            this.version = version;
        }

        /** Adds a field of any kind. */
        public Builder<T> field(StateField<T> f) {
            if (fields.putIfAbsent(f.name(), f) != null) throw new IllegalArgumentException(name + ": two state fields named " + f.name());
            return this;
        }

        public Builder<T> u8(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) { return integer(field, "uint8", 0, 0xffL, get, set); }
        public Builder<T> u16(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) { return integer(field, "uint16", 0, 0xffffL, get, set); }
        public Builder<T> u32(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) { return integer(field, "uint32", 0, 0xffff_ffffL, get, set); }
        public Builder<T> i32(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) { return integer(field, "int32", Integer.MIN_VALUE, Integer.MAX_VALUE, get, set); }
        /** 64 bits, signed or not (the bits are kept). */
        public Builder<T> u64(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) { return integer(field, "uint64", Long.MIN_VALUE, Long.MAX_VALUE, get, set); }

        private Builder<T> integer(String field, String kind, long min, long max, ToLongFunction<T> get, ObjLongConsumer<T> set) {
            return field(new Simple<>(field, kind, Long.class, get::applyAsLong, (o, v) -> {
                long x = (Long) v;
                if (x < min || x > max) throw new StateException("0x" + Long.toHexString(x) + " does not fit " + kind);
            }, (o, v) -> set.accept(o, (Long) v)));
        }

        public Builder<T> bool(String field, Predicate<T> get, BiConsumer<T, Boolean> set) {
            return field(new Simple<>(field, "bool", Boolean.class, get::test, (o, v) -> { }, (o, v) -> set.accept(o, (Boolean) v)));
        }

        public Builder<T> string(String field, Function<T, String> get, BiConsumer<T, String> set) {
            return field(new Simple<>(field, "str", String.class, get::apply, (o, v) -> { }, (o, v) -> set.accept(o, (String) v)));
        }

        /** Bytes of any length, handed to {@code set} (a FIFO's contents). */
        public Builder<T> bytes(String field, Function<T, byte[]> get, BiConsumer<T, byte[]> set) {
            return field(new Simple<>(field, "bytes", byte[].class, o -> get.apply(o).clone(), (o, v) -> { }, (o, v) -> set.accept(o, (byte[]) v)));
        }

        /** A buffer the object owns (its length follows from its properties): loaded into it, lengths must match. */
        public Builder<T> buffer(String field, Function<T, byte[]> array) {
            return field(new Simple<>(field, "buffer", byte[].class, o -> array.apply(o).clone(), (o, v) -> {
                int want = array.apply(o).length, got = ((byte[]) v).length;
                if (want != got) throw new StateException("saved " + got + " bytes, this instance has " + want);
            }, (o, v) -> { byte[] src = (byte[]) v; System.arraycopy(src, 0, array.apply(o), 0, src.length); }));
        }

        /** An array of integers the object owns (registers per source, per hart): loaded into it, lengths must match. */
        public Builder<T> longs(String field, Function<T, long[]> array) {
            return field(new Simple<>(field, "uint64[]", long[].class, o -> array.apply(o).clone(), (o, v) -> {
                int want = array.apply(o).length, got = ((long[]) v).length;
                if (want != got) throw new StateException("saved " + got + " values, this instance has " + want);
            }, (o, v) -> { long[] src = (long[]) v; System.arraycopy(src, 0, array.apply(o), 0, src.length); }));
        }

        /** A timer on the virtual clock: its deadline when armed (virtual time is restored before devices are). */
        public Builder<T> timer(String field, Function<T, VirtualClock.Timer> timer) {
            return field(new Simple<>(field, "timer", Long.class, o -> {
                VirtualClock.Timer t = timer.apply(o);
                return t != null && t.armed() ? t.deadline() : -1L;
            }, (o, v) -> {
                if ((Long) v >= 0 && timer.apply(o) == null) throw new StateException("armed in the saved state, but this instance has no timer");
            }, (o, v) -> {
                VirtualClock.Timer t = timer.apply(o);
                if (t == null) return;
                t.cancel();
                if ((Long) v >= 0) t.armAt((Long) v);
            }));
        }

        /** A part of the object with a description of its own (a virtqueue, a PCI function's configuration space). */
        public <U> Builder<T> record(String field, StateDescription<U> part, Function<T, U> get) {
            return field(new Simple<>(field, "record " + part.name, StateRecord.class, o -> part.save(get.apply(o)),
                    (o, v) -> part.check(get.apply(o), (StateRecord) v), (o, v) -> part.restore(get.apply(o), (StateRecord) v)));
        }

        /** Parts with one description each (a device's queues): as many saved as the instance has. */
        public <U> Builder<T> records(String field, StateDescription<U> part, Function<T, List<U>> get) {
            return field(new Simple<>(field, "list of record " + part.name, List.class, o -> {
                List<StateRecord> out = new ArrayList<>();
                for (U u : get.apply(o)) out.add(part.save(u));
                return out;
            }, (o, v) -> {
                List<U> mine = get.apply(o);
                List<?> saved = (List<?>) v;
                if (mine.size() != saved.size()) throw new StateException("saved " + saved.size() + " entries, this instance has " + mine.size());
                for (int i = 0; i < mine.size(); i++) {
                    try {
                        part.check(mine.get(i), (StateRecord) saved.get(i));
                    } catch (StateException e) {
                        throw new StateException("[" + i + "] " + e.getMessage(), e);
                    }
                }
            }, (o, v) -> {
                List<U> mine = get.apply(o);
                List<?> saved = (List<?>) v;
                for (int i = 0; i < mine.size(); i++) part.restore(mine.get(i), (StateRecord) saved.get(i));
            }));
        }

        /** A subsection: saved only when {@code needed} holds; a state without it leaves its fields as they are. */
        public Builder<T> subsection(StateDescription<T> part, Predicate<T> needed) {
            subsections.add(new Subsection<>(part, needed));
            return this;
        }

        /** How a record of {@code fromVersion} becomes one of {@code fromVersion + 1} (add, rename or convert fields). */
        public Builder<T> migrate(int fromVersion, Consumer<StateRecord> step) {
            if (fromVersion >= version || fromVersion < 1) throw new IllegalArgumentException(name + ": migration from version " + fromVersion + " to a version this one is not below");
            migrations.put(fromVersion, step);
            return this;
        }

        /** Runs before saving (a device folds pending work into its fields). */
        public Builder<T> beforeSave(Consumer<T> hook) { beforeSave.add(hook); return this; }

        /** Runs after every field was loaded (recompute interrupt levels, derived caches). */
        public Builder<T> afterLoad(Consumer<T> hook) { afterLoad.add(hook); return this; }

        public StateDescription<T> build() { return new StateDescription<>(this); }
    }

    /** A field made by the builder: its value class, a check and a load. */
    private record Simple<T>(String name, String kind, Class<?> valueClass, Function<T, Object> get,
                             BiConsumer<T, Object> checker, BiConsumer<T, Object> loader) implements StateField<T> {
        @Override public Object save(T object) { return get.apply(object); }

        @Override public void check(T object, Object value) {
            if (!valueClass.isInstance(value))
                throw new StateException("saved as " + (value == null ? "nothing" : value.getClass().getSimpleName()) + ", expected " + kind);
            checker.accept(object, value);
        }

        @Override public void load(T object, Object value) { loader.accept(object, value); }
    }
}
