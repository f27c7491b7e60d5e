package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of every object in a machine: typed properties declared by its type, children that make the
 * composition tree, and a lifecycle (created and configured, realized, unrealized, finalized). Objects
 * live on their machine's thread; nothing here locks.
 */
public class QObject {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ObjectType type;
    private ObjectTree tree;
    private QObject parent;
    private String name;
    private Lifecycle state = Lifecycle.CREATED;
    private long serial;
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, QObject> children = new LinkedHashMap<>();

    /** Called by the tree once, right after construction; {@code serial} counts the tree's creations. */
    final void bind(ObjectType type, ObjectTree tree, long serial) {
        if (this.type != null) throw new IllegalStateException("object already bound");
        this.type = type;
        this.tree = tree;
        this.serial = serial;
        onInit();
    }

    /** When this object was created relative to the others of its tree (larger is later). */
    public final long creationSerial() { return serial; }

    public final ObjectType type() { return type; }
    public final ObjectTree tree() { return tree; }
    public final QObject parent() { return parent; }
    /** The name under which the parent holds this object (its id for user-created objects). */
    public final String name() { return name; }
    public final Lifecycle state() { return state; }
    public final boolean isRealized() { return state == Lifecycle.REALIZED; }

    /** The canonical path, for example {@code /machine/peripheral/disk0}; empty while detached. */
    public final String path() {
        if (parent == null) return tree != null && tree.root() == this ? "/" : "";
        String p = parent.path();
        return (p.equals("/") ? "" : p) + "/" + name;
    }

    // ---- properties, as object code sees them ----

    /** The current value of a property: computed, set, or its default. */
    @SuppressWarnings("unchecked")
    public final <T> T get(Property<T> property) {
        if (property.getter() != null) return property.getter().apply(this);
        Object v = values.get(property.name());
        return v != null ? (T) v : property.defaultValue();
    }

    /** True when the property was given a value (rather than falling back to its default). */
    public final boolean isSet(Property<?> property) { return values.containsKey(property.name()); }

    /** Sets a property from object code: no window check (front-ends use {@link #setProperty}). */
    public final <T> void set(Property<T> property, T value) {
        if (property.setter() != null) { property.setter().accept(this, value); return; }
        if (value == null) values.remove(property.name()); else values.put(property.name(), value);
        if (tree != null) tree.propertyChanged(this, property.name());
    }

    // ---- properties, as front-ends see them ----

    /** Reads a property by name as JSON: class properties, {@code type}, and children. */
    public final JsonNode getProperty(String propertyName) {
        Property<?> p = type.property(propertyName);
        if (p != null) return writeJson(p);
        if (propertyName.equals("type")) return F.textNode(type.name());
        QObject child = children.get(propertyName);
        if (child != null) return F.textNode(child.path());
        throw new QomException("Property '" + type.name() + "." + propertyName + "' not found");
    }

    private <T> JsonNode writeJson(Property<T> p) { return p.type().write(get(p)); }

    /** Writes a property by name, enforcing its window and its type. */
    public final void setProperty(String propertyName, Value value) {
        Property<?> p = type.property(propertyName);
        if (p == null) {
            if (propertyName.equals("type") || children.containsKey(propertyName))
                throw new QomException("Property '" + type.name() + "." + propertyName + "' is not writable");
            throw new QomException("Property '" + type.name() + "." + propertyName + "' not found");
        }
        switch (p.settable()) {
            case NEVER -> throw new QomException("Property '" + type.name() + "." + propertyName + "' is not writable");
            case BEFORE_REALIZE -> {
                if (state != Lifecycle.CREATED)
                    throw new QomException("Attempt to set property '" + propertyName + "' on " + describe() + " after it was realized");
            }
            case ALWAYS -> { }
        }
        readAndSet(p, value);
    }

    private <T> void readAndSet(Property<T> p, Value value) {
        T v = p.type().read(value, path -> tree.resolve(path));
        set(p, v);
    }

    /** Every property: class properties (in declaration order), then {@code type}, then children. */
    public final List<PropertyInfo> listProperties() {
        List<PropertyInfo> out = new ArrayList<>();
        out.add(new PropertyInfo("type", "string", "the object's type", null));
        for (Property<?> p : type.properties().values()) out.add(info(p));
        for (Map.Entry<String, QObject> c : children.entrySet())
            out.add(new PropertyInfo(c.getKey(), "child<" + c.getValue().type().name() + ">", null, null));
        return out;
    }

    static <T> PropertyInfo info(Property<T> p) {
        JsonNode def = p.defaultValue() == null ? null : p.type().write(p.defaultValue());
        return new PropertyInfo(p.name(), p.type().name(), p.description(), def);
    }

    // ---- composition ----

    public final Map<String, QObject> children() { return Collections.unmodifiableMap(children); }

    public final QObject child(String childName) { return children.get(childName); }

    /** Makes {@code child} a child of this object under {@code childName} (child<T> property). */
    public final void addChild(String childName, QObject child) {
        if (childName == null || childName.isEmpty() || childName.contains("/"))
            throw new QomException("Invalid child name '" + childName + "'");
        if (children.containsKey(childName) || type.property(childName) != null || childName.equals("type"))
            throw new QomException("Duplicate ID '" + childName + "' in " + (path().isEmpty() ? type.name() : path()));
        if (child.parent != null) throw new QomException(child.describe() + " already has a parent");
        if (child.tree != tree) throw new QomException("objects of different machines cannot be composed");
        children.put(childName, child);
        child.parent = this;
        child.name = childName;
        tree.attached(child);
    }

    /** The first free name of the form {@code prefix[N]}, as QEMU numbers unnamed children. */
    public final String freeChildName(String prefix) {
        for (int i = 0; ; i++) {
            String n = prefix + "[" + i + "]";
            if (!children.containsKey(n)) return n;
        }
    }

    final void detachChild(QObject child) {
        if (children.remove(child.name) != null) {
            child.parent = null;
        }
    }

    // ---- lifecycle ----

    /** Validates, allocates and connects; afterwards before-realize properties are frozen. */
    public final void realize() {
        if (state == Lifecycle.REALIZED) throw new QomException(describe() + " is already realized");
        if (state == Lifecycle.FINALIZED) throw new QomException(describe() + " was deleted");
        onBeforeRealize();
        for (Property<?> p : type.properties().values())
            if (p.isRequired() && get(p) == null)
                throw new QomException("Property '" + p.name() + "' is required by " + describe());
        onRealize();
        state = Lifecycle.REALIZED;
        if (tree != null) tree.realized(this);
    }

    /** Undoes {@link #realize()}; the object may be configured and realized again. */
    public final void unrealize() {
        if (state != Lifecycle.REALIZED) return;
        try {
            onUnrealize();
        } finally {
            state = Lifecycle.UNREALIZED;
        }
    }

    /** Lets an unrealized object be configured again (QEMU allows re-realizing unplugged devices). */
    protected final void reopen() { if (state == Lifecycle.UNREALIZED) state = Lifecycle.CREATED; }

    final void finalizeObject() {
        if (state == Lifecycle.REALIZED) unrealize();
        try {
            onFinalize();
        } finally {
            state = Lifecycle.FINALIZED;
            values.clear();
        }
    }

    /** Clears every stored link that points at {@code target} (used when a target is removed by force). */
    final void clearLinksTo(QObject target) {
        for (Property<?> p : type.properties().values()) {
            if (p.type() instanceof PropertyTypes.LinkType<?> && !p.isComputed() && values.get(p.name()) == target) {
                values.remove(p.name());
                onLinkCleared(p.name());
            }
        }
    }

    /**
     * The properties that were given to this object and could be given again (set, not computed, not read-only),
     * by name, as JSON: what it takes to make an equal object ({@link ObjectTree#createRealized}).
     */
    public final com.fasterxml.jackson.databind.node.ObjectNode setValues() {
        com.fasterxml.jackson.databind.node.ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Property<?> p : type.properties().values()) {
            if (p.isComputed() || p.settable() == Settable.NEVER || !isSet(p)) continue;
            out.set(p.name(), getProperty(p.name()));
        }
        return out;
    }

    /** Points link {@code property} at {@code target} again, whatever its window (see ObjectTree.relink). */
    final void restoreLink(String property, QObject target) {
        Property<?> p = type.properties().get(property);
        if (p == null || !(p.type() instanceof PropertyTypes.LinkType<?>) || p.isComputed())
            throw new QomException(describe() + " has no link property '" + property + "'");
        values.put(property, target);
        onLinkRestored(property);
    }

    /** Stored links of this object, by property name. */
    final Map<String, QObject> links() {
        Map<String, QObject> out = new LinkedHashMap<>();
        for (Property<?> p : type.properties().values())
            if (p.type() instanceof PropertyTypes.LinkType<?> && !p.isComputed() && values.get(p.name()) instanceof QObject o)
                out.put(p.name(), o);
        return out;
    }

    /** Hook: right after construction and binding to a type, before any property is set. */
    protected void onInit() { }

    /**
     * Hook: checks that come before the properties are validated (QEMU looks for a device's bus before it
     * looks at its properties). Throw {@link QomException} to refuse.
     */
    protected void onBeforeRealize() { }

    /** Hook: validate, allocate, connect. Throw {@link QomException} to refuse. */
    protected void onRealize() { }

    /** Hook: disconnect and release what {@link #onRealize()} took. */
    protected void onUnrealize() { }

    /** Hook: the object leaves the tree for good. */
    protected void onFinalize() { }

    /** Hook: a link of this object was cleared because its target was removed with its bundle. */
    protected void onLinkCleared(String property) { }

    /**
     * Hook: a link cleared because its target went with a bundle being updated points at the target's successor
     * again (same path, new code); a realized object takes it up here (a UART attaches to the new chardev).
     */
    protected void onLinkRestored(String property) { }

    /** A short description for error messages: its path if attached, else its type. */
    public final String describe() {
        String p = path();
        return p.isEmpty() ? "object of type '" + (type == null ? getClass().getSimpleName() : type.name()) + "'" : "'" + p + "'";
    }

    @Override public String toString() { return describe(); }
}
