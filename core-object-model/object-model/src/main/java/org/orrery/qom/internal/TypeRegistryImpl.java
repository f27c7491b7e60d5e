package org.orrery.qom.internal;

import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeDeriver;
import org.orrery.qom.TypeRegistry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The registry's logic, free of OSGi so it can be tested plainly: contributions come and go, the set of
 * usable types is re-resolved after each change, and listeners hear of types before they are forgotten.
 * Reads see an immutable snapshot; changes are serialized.
 */
public final class TypeRegistryImpl implements TypeRegistry {
    /** The types every tree needs, provided by the object model itself. */
    public static final String SELF = "org.orrery.object-model";

    private record Contribution(Object key, TypeDescription description, String provider) { }

    private record Deriver(Object key, TypeDeriver deriver, String provider) { }

    /** A derived description, kept while its source type is the same object, so the derived type keeps its identity. */
    private record Derived(Deriver deriver, ObjectType source, TypeDescription description) { }

    private final ReentrantLock changeLock = new ReentrantLock();
    private final List<Contribution> contributions = new ArrayList<>();
    private final List<Deriver> derivers = new ArrayList<>();
    private List<Derived> derived = List.of();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, ObjectType> types = Map.of();
    private volatile Map<String, String> unavailable = Map.of();
    /**
     * Set when contributions changed while nobody listened (as at start-up, when every bundle adds its
     * types before any machine exists): the types are then resolved once, on the next read. Cleared only once the
     * resolved types are published, since a reader that finds it clear reads them without the lock (set while
     * nobody listens, so resolving it calls no listener back into the registry).
     */
    private volatile boolean stale;
    /** Waits while the container still starts bundles that may bring types (see {@link #setStartupWait}); a no-op by default. */
    private volatile Runnable startupWait = () -> { };

    public TypeRegistryImpl() {
        add("builtin:object", TypeDescription.named("object").parent(null).abstractType()
                .description("The root of every type"), SELF);
        add("builtin:interface", TypeDescription.named("interface").parent(null).abstractType()
                .description("The root of every interface type"), SELF);
        add("builtin:container", TypeDescription.named("container").creates(QObject::new)
                .description("A plain node of the composition tree that holds children"), SELF);
        add("builtin:user-creatable", TypeDescription.interfaceNamed("user-creatable")
                .description("Types that object-add and -object may create"), SELF);
    }

    /** Adds a contribution identified by {@code key} (the service, in OSGi). */
    public void add(Object key, TypeDescription description, String provider) {
        changeLock.lock();
        try {
            contributions.add(new Contribution(key, description, provider));
            changed();
        } finally {
            changeLock.unlock();
        }
    }

    /** Records a contribution that could not even be described (its describe() failed). */
    public void addBroken(Object key, String name, String reason) {
        changeLock.lock();
        try {
            if (stale) {
                rebuild();
                stale = false;
            }
            Map<String, String> u = new LinkedHashMap<>(unavailable);
            u.put(name, reason);
            unavailable = Map.copyOf(u);
        } finally {
            changeLock.unlock();
        }
    }

    public void remove(Object key) { remove(key, false); }

    /**
     * Takes a contribution away; {@code replacing} when its bundle is being updated or refreshed, so listeners
     * hear {@link Listener#typesReplacing} for the types that go with it.
     */
    public void remove(Object key, boolean replacing) {
        changeLock.lock();
        try {
            if (contributions.removeIf(c -> c.key() == key) | derivers.removeIf(d -> d.key() == key)) {
                this.replacing = replacing;
                try {
                    changed();
                } finally {
                    this.replacing = false;
                }
            }
        } finally {
            changeLock.unlock();
        }
    }

    /** Set while a removal by a bundle being updated re-resolves (guarded by changeLock). */
    private boolean replacing;

    /** Adds a deriver identified by {@code key} (the service, in OSGi); {@link #remove} takes it away. */
    public void addDeriver(Object key, TypeDeriver deriver, String provider) {
        changeLock.lock();
        try {
            derivers.add(new Deriver(key, deriver, provider));
            changed();
        } finally {
            changeLock.unlock();
        }
    }

    /** Re-resolves now when someone listens (they must hear of the change), else on the next read. */
    private void changed() {
        if (listeners.isEmpty()) {
            stale = true;
        } else {
            rebuild();
            stale = false;
        }
    }

    /** Brings the resolved types up to date after changes nobody listened to. */
    private void current() {
        if (!stale) return;
        changeLock.lock();
        try {
            if (stale) {
                rebuild();
                stale = false;
            }
        } finally {
            changeLock.unlock();
        }
    }

    private void rebuild() {
        Map<String, ObjectType> old = types;
        Map<String, Contribution> byName = new LinkedHashMap<>();
        Map<String, String> why = new LinkedHashMap<>();
        for (Contribution c : contributions) {
            Contribution prior = byName.putIfAbsent(c.description().name(), c);
            if (prior != null)
                why.put(c.description().name() + " (from " + c.provider() + ")", "type '" + c.description().name()
                        + "' is already provided by " + prior.provider());
        }
        Map<String, ObjectType> resolved = new HashMap<>();
        for (String name : byName.keySet()) resolve(name, byName, resolved, why, new LinkedHashSet<>(), old);
        // derived types: from the contributed types only (never from derived ones), then resolved the same way
        Set<String> derivedNames = derive(byName, resolved, why);
        for (String name : derivedNames) resolve(name, byName, resolved, why, new LinkedHashSet<>(), old);
        Map<String, ObjectType> next = new LinkedHashMap<>();
        byName.keySet().stream().sorted().forEach(n -> { if (resolved.get(n) != null) next.put(n, resolved.get(n)); });

        Set<String> removed = new LinkedHashSet<>();
        for (Map.Entry<String, ObjectType> e : old.entrySet()) if (next.get(e.getKey()) != e.getValue()) removed.add(e.getKey());
        Set<String> added = new LinkedHashSet<>();
        for (Map.Entry<String, ObjectType> e : next.entrySet()) if (old.get(e.getKey()) != e.getValue()) added.add(e.getKey());

        boolean replaced = replacing;
        if (!removed.isEmpty())
            for (Listener l : listeners) safely(() -> { if (replaced) l.typesReplacing(removed); else l.typesRemoving(removed); });
        types = Map.copyOf(next);
        unavailable = Map.copyOf(why);
        if (!added.isEmpty()) for (Listener l : listeners) safely(() -> l.typesAdded(added));
    }

    /** Adds to {@code byName} the types every deriver makes from the resolved ones; returns their names. */
    private Set<String> derive(Map<String, Contribution> byName, Map<String, ObjectType> resolved, Map<String, String> why) {
        List<Derived> kept = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        List<String> sources = new ArrayList<>(resolved.keySet());
        sources.sort(null);
        for (Deriver d : derivers) {
            for (String sourceName : sources) {
                ObjectType source = resolved.get(sourceName);
                if (source == null) continue;
                TypeDescription description = null;
                for (Derived prior : derived)
                    if (prior.deriver() == d && prior.source() == source) description = prior.description();
                if (description == null) {
                    try {
                        description = d.deriver().derive(source);
                    } catch (RuntimeException | LinkageError e) {
                        why.put(sourceName + " (derived by " + d.provider() + ")", "deriving from '" + sourceName + "' failed: " + e);
                        continue;
                    }
                    if (description == null) continue;
                }
                kept.add(new Derived(d, source, description));
                Contribution c = new Contribution(d.key(), description, d.provider());
                Contribution prior = byName.putIfAbsent(description.name(), c);
                if (prior != null) {
                    why.put(description.name() + " (derived by " + d.provider() + ")", "type '" + description.name()
                            + "' is already provided by " + prior.provider());
                    continue;
                }
                names.add(description.name());
            }
        }
        derived = List.copyOf(kept);
        return names;
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // a listener's failure must not leave the registry half-updated
        }
    }

    private ObjectType resolve(String name, Map<String, Contribution> byName, Map<String, ObjectType> done,
                               Map<String, String> why, Set<String> visiting, Map<String, ObjectType> old) {
        if (done.containsKey(name)) return done.get(name);
        Contribution c = byName.get(name);
        if (c == null) return null;
        if (!visiting.add(name)) {
            why.put(name, "type '" + name + "' inherits from itself");
            done.put(name, null);
            return null;
        }
        TypeDescription d = c.description();
        ObjectType parent = null;
        if (d.parent() != null) {
            parent = resolve(d.parent(), byName, done, why, visiting, old);
            if (parent == null) {
                why.putIfAbsent(name, "parent type '" + d.parent() + "' of '" + name + "' is not available"
                        + (byName.containsKey(d.parent()) ? "" : " (no installed bundle provides it)"));
                done.put(name, null);
                return null;
            }
        }
        Set<String> interfaceAncestry = new LinkedHashSet<>();
        for (String i : d.interfaces()) {
            ObjectType it = resolve(i, byName, done, why, visiting, old);
            if (it == null) {
                why.putIfAbsent(name, "interface '" + i + "' of '" + name + "' is not available");
                done.put(name, null);
                return null;
            }
            interfaceAncestry.addAll(it.ancestry());
        }
        ObjectType prior = old.get(name);
        ObjectType t = prior != null && prior.typeDescription() == d && prior.parent() == parent
                && prior.ancestry().containsAll(interfaceAncestry)
                ? prior : new ObjectType(d, parent, c.provider(), interfaceAncestry);
        done.put(name, t);
        visiting.remove(name);
        return t;
    }

    /**
     * Sets what waits, bounded, while the container still starts bundles that may bring types: a type that is
     * not known yet, and the listings, wait for it, so an early caller gets the answers of the fully started
     * container.
     */
    public void setStartupWait(Runnable wait) { this.startupWait = wait; }

    /** The type, after the container's start of type bundles when it is not known yet. */
    private ObjectType lookUp(String name) {
        current();
        ObjectType t = types.get(name);
        if (t != null) return t;
        startupWait.run();
        current();
        return types.get(name);
    }

    @Override public Optional<ObjectType> find(String name) {
        return Optional.ofNullable(lookUp(name));
    }

    @Override public ObjectType require(String name) {
        ObjectType t = lookUp(name);
        if (t != null) return t;
        String reason = unavailable.get(name);
        if (reason != null) throw new QomException("Object type '" + name + "' is not available: " + reason);
        throw new QomException("Invalid object type '" + name + "'");
    }

    @Override public List<ObjectType> list(String implementsType, boolean includeAbstract) {
        startupWait.run();
        current();
        List<ObjectType> out = new ArrayList<>();
        for (ObjectType t : types.values()) {
            if (!includeAbstract && t.isAbstract()) continue;
            if (implementsType != null && !t.isA(implementsType)) continue;
            out.add(t);
        }
        out.sort(Comparator.comparing(ObjectType::name));
        return out;
    }

    @Override public Map<String, String> unavailable() {
        startupWait.run();
        current();
        return unavailable;
    }

    /** The listener hears of every change from now on; what was added before is resolved first. */
    @Override public void addListener(Listener listener) {
        changeLock.lock();
        try {
            if (stale) {
                rebuild();
                stale = false;
            }
            listeners.add(listener);
        } finally {
            changeLock.unlock();
        }
    }

    @Override public void removeListener(Listener listener) { listeners.remove(listener); }
}
