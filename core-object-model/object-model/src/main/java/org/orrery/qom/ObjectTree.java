package org.orrery.qom;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One machine's composition tree: the root container and everything under it ({@code /machine},
 * {@code /objects}, {@code /chardevs}), path resolution, creation and deletion of objects, the
 * machine's event stream, and the removal of instances whose type's bundle goes away. A container can
 * hold several trees; they never see each other's objects.
 */
public final class ObjectTree {
    private final TypeRegistry registry;
    private final SafePoint safePoint;
    private final EventBus events = new EventBus();
    private final QObject root;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Class<?>, Object> attachments = new ConcurrentHashMap<>();
    private final GlobalProperties globals = new GlobalProperties();
    private long created;
    private final TypeRegistry.Listener typeListener = new TypeRegistry.Listener() {
        @Override public void typesRemoving(Set<String> names) { removeInstancesOf(names); }
    };

    /** Observes the tree; called on the machine thread. */
    public interface Listener {
        default void objectAdded(QObject object) { }
        default void objectRemoving(QObject object) { }
        default void propertyChanged(QObject object, String property) { }
        default void objectRealized(QObject object) { }
        /** The tree is being disposed (its machine is destroyed): release what belongs to it. */
        default void treeDisposed() { }
    }

    public ObjectTree(TypeRegistry registry, SafePoint safePoint) {
        this.registry = registry;
        this.safePoint = safePoint;
        this.root = create("container");
        registry.addListener(typeListener);
    }

    public TypeRegistry registry() { return registry; }
    public SafePoint safePoint() { return safePoint; }
    public EventBus events() { return events; }
    public QObject root() { return root; }

    /** Property defaults by type (-global) applied to every object this tree creates from now on. */
    public GlobalProperties globals() { return globals; }

    public void addListener(Listener l) { listeners.add(l); }
    public void removeListener(Listener l) { listeners.remove(l); }

    /** Per-machine services (the machine runtime, the monitor's state) keyed by their interface. */
    public <T> void attach(Class<T> key, T value) { attachments.put(key, value); }
    public <T> T attachment(Class<T> key) { return key.cast(attachments.get(key)); }
    public <T> void detach(Class<T> key, T value) { attachments.remove(key, value); }

    /** Creates a detached object of a concrete type, with the tree's {@linkplain #globals() defaults} for it set. */
    public QObject create(String typeName) {
        ObjectType t = registry.require(typeName);
        if (t.isAbstract()) throw new QomException("Object type '" + typeName + "' is abstract");
        QObject o = t.instantiate();
        o.bind(t, this, ++created);
        globals.applyTo(o);
        return o;
    }

    /** Creates an object of {@code typeName} and attaches it to {@code parent} as {@code childName}. */
    public QObject createChild(QObject parent, String childName, String typeName) {
        QObject o = create(typeName);
        parent.addChild(childName, o);
        return o;
    }

    /**
     * Makes {@code typeName} at {@code parent/childName} with {@code properties} (as {@link QObject#setValues} gives
     * them) and realizes it; when a property or realize refuses, the object is deleted again and the error thrown.
     */
    public QObject createRealized(QObject parent, String childName, String typeName, ObjectNode properties) {
        QObject o = createChild(parent, childName, typeName);
        try {
            for (var it = properties.fields(); it.hasNext(); ) {
                var p = it.next();
                o.setProperty(p.getKey(), Value.ofJson(p.getKey(), p.getValue()));
            }
            o.realize();
            return o;
        } catch (RuntimeException e) {
            delete(o, true);
            throw e;
        }
    }

    /** The container at an absolute path, created (with containers along the way) if missing. */
    public QObject container(String absolutePath) {
        QObject at = root;
        for (String part : absolutePath.split("/")) {
            if (part.isEmpty()) continue;
            QObject next = at.child(part);
            if (next == null) next = createChild(at, part, "container");
            at = next;
        }
        return at;
    }

    /**
     * Resolves an absolute path ({@code /machine/peripheral/d0}) or a partial one ({@code d0},
     * {@code peripheral/d0}) that must match the end of exactly one object's path. Returns null when
     * nothing matches; throws when a partial path is ambiguous.
     */
    public QObject resolve(String path) {
        if (path == null) return null;
        if (path.startsWith("/")) {
            QObject at = root;
            for (String part : path.split("/")) {
                if (part.isEmpty()) continue;
                at = at.child(part);
                if (at == null) return null;
            }
            return at;
        }
        if (path.isEmpty()) return null;
        String[] parts = path.split("/");
        List<QObject> matches = new ArrayList<>();
        collectSuffixMatches(root, parts, matches);
        if (matches.size() > 1) throw new QomException("Path '" + path + "' is ambiguous");
        return matches.isEmpty() ? null : matches.get(0);
    }

    private static void collectSuffixMatches(QObject at, String[] parts, List<QObject> out) {
        for (QObject c : at.children().values()) {
            if (matchesSuffix(c, parts)) out.add(c);
            collectSuffixMatches(c, parts, out);
        }
    }

    private static boolean matchesSuffix(QObject o, String[] parts) {
        QObject at = o;
        for (int i = parts.length - 1; i >= 0; i--) {
            if (at == null || at.parent() == null || !parts[i].equals(at.name())) return false;
            at = at.parent();
        }
        return true;
    }

    /** Resolves a path or fails with QEMU's DeviceNotFound error. */
    public QObject require(String path) {
        QObject o = resolve(path);
        if (o == null) throw QomException.notFound("Device '" + path + "' not found");
        return o;
    }

    /** Every object in the tree, depth first, parents before children. */
    public List<QObject> all() {
        List<QObject> out = new ArrayList<>();
        walk(root, out);
        return out;
    }

    private static void walk(QObject o, List<QObject> out) {
        out.add(o);
        for (QObject c : o.children().values()) walk(c, out);
    }

    /** Objects (outside {@code object}'s own subtree) that hold a link to it or anything beneath it. */
    public List<String> linkersOf(QObject object) {
        List<QObject> subtree = new ArrayList<>();
        walk(object, subtree);
        List<String> out = new ArrayList<>();
        for (QObject o : all()) {
            if (subtree.contains(o)) continue;
            for (Map.Entry<String, QObject> l : o.links().entrySet())
                if (subtree.contains(l.getValue())) out.add(o.path() + "." + l.getKey());
        }
        return out;
    }

    /**
     * Points {@code holder}'s link {@code property} at {@code target} even after realize, and tells the holder
     * ({@code onLinkRestored}): for a link cleared when its target went with a bundle being updated, once the
     * target's successor stands at the same path. Not for clients: a link set after realize is otherwise refused.
     */
    public void relink(QObject holder, String property, QObject target) {
        if (holder.tree() != this || target.tree() != this) throw new QomException("relink across trees");
        holder.restoreLink(property, target);
    }

    /**
     * Deletes an object and its subtree: unrealizes (children first), detaches and finalizes, emitting
     * DEVICE_DELETED for devices. Refused while other objects link to it unless {@code force}, in which
     * case those links are cleared.
     */
    public void delete(QObject object, boolean force) { delete(object, force, true); }

    /**
     * Takes back an object whose creation failed (its realize refused): a forced delete that announces
     * nothing, since no client ever saw the object complete (QEMU's failed object-add sends no event).
     */
    public void discard(QObject object) { delete(object, true, false); }

    private void delete(QObject object, boolean force, boolean announce) {
        if (object == root) throw new QomException("the root cannot be deleted");
        if (!force) {
            List<String> linkers = linkersOf(object);
            if (!linkers.isEmpty())
                throw new QomException(object.describe() + " is in use by " + String.join(", ", linkers));
        }
        List<QObject> subtree = new ArrayList<>();
        walk(object, subtree);
        if (force) for (QObject o : all()) if (!subtree.contains(o)) for (QObject t : subtree) o.clearLinksTo(t);
        for (int i = subtree.size() - 1; i >= 0; i--) {
            QObject o = subtree.get(i);
            String path = o.path();
            for (Listener l : listeners) l.objectRemoving(o);
            try {
                o.unrealize();
            } finally {
                if (o.parent() != null) o.parent().detachChild(o);
                o.finalizeObject();
            }
            if (announce) emitDeleted(o, path);
        }
    }

    private void emitDeleted(QObject o, String path) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        boolean userNamed = path.startsWith("/machine/peripheral/") || path.startsWith("/objects/") || path.startsWith("/chardevs/");
        if (o.type().isA("device")) {
            if (path.startsWith("/machine/peripheral/")) data.put("device", o.name());
            data.put("path", path);
            events.emit("DEVICE_DELETED", data);
        } else if (userNamed) {
            data.put("id", o.name());
            data.put("path", path);
            data.put("type", o.type().name());
            events.emit("OBJECT_DELETED", data);
        }
    }

    private void removeInstancesOf(Set<String> typeNames) {
        safePoint.call(() -> {
            // outermost first, so a subtree goes as one piece
            for (QObject o : all()) {
                if (o == root || o.state() == Lifecycle.FINALIZED) continue;
                boolean doomed = false;
                for (String n : typeNames) if (o.type().isA(n)) { doomed = true; break; }
                if (doomed && o.parent() != null) delete(o, true);
            }
            return null;
        });
    }

    /** Deletes everything and stops following the registry; the tree is unusable afterwards. */
    public void dispose() {
        registry.removeListener(typeListener);
        for (Listener l : listeners) {
            try {
                l.treeDisposed();
            } catch (RuntimeException ignored) {
                // a front-end failing to close must not keep the machine alive
            }
        }
        safePoint.call(() -> {
            // newest first: the machine goes before the backends under /objects it maps
            for (QObject c : new ArrayList<>(root.children().values()).reversed()) delete(c, true);
            return null;
        });
    }

    // ---- notifications from objects ----

    void attached(QObject o) {
        for (Listener l : listeners) l.objectAdded(o);
    }

    void propertyChanged(QObject o, String property) {
        for (Listener l : listeners) l.propertyChanged(o, property);
    }

    void realized(QObject o) {
        for (Listener l : listeners) l.objectRealized(o);
    }
}
