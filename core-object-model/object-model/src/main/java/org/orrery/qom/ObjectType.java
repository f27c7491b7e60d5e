package org.orrery.qom;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A type as the registry resolved it: its description linked to its parent type, with the inherited
 * properties flattened (parent first) and the set of every type name it "is a" (itself, its ancestors
 * and all their interfaces).
 */
public final class ObjectType {
    private final TypeDescription description;
    private final ObjectType parent;
    private final String provider;
    private final Map<String, Property<?>> properties;
    private final Set<String> isA;

    public ObjectType(TypeDescription description, ObjectType parent, String provider, Set<String> interfaceAncestry) {
        this.description = description;
        this.parent = parent;
        this.provider = provider;
        Map<String, Property<?>> props = new LinkedHashMap<>();
        if (parent != null) props.putAll(parent.properties);
        for (Property<?> p : description.properties()) props.put(p.name(), p);
        this.properties = Collections.unmodifiableMap(props);
        Set<String> names = new LinkedHashSet<>();
        names.add(description.name());
        if (parent != null) names.addAll(parent.isA);
        names.addAll(description.interfaces());
        names.addAll(interfaceAncestry);
        this.isA = Collections.unmodifiableSet(names);
    }

    public String name() { return description.name(); }
    public ObjectType parent() { return parent; }
    public String parentName() { return description.parent(); }
    public boolean isAbstract() { return description.isAbstract(); }
    public boolean isInterface() { return description.isInterface(); }
    public String description() { return description.description(); }
    /** The symbolic name of the bundle that provides this type. */
    public String provider() { return provider; }
    public List<String> interfaces() { return description.interfaces(); }
    public TypeDescription typeDescription() { return description; }

    /** True if this type is {@code typeName}, inherits from it, or implements it. */
    public boolean isA(String typeName) { return isA.contains(typeName); }

    public Set<String> ancestry() { return isA; }

    /** All class properties, inherited ones first. */
    public Map<String, Property<?>> properties() { return properties; }

    public Property<?> property(String name) { return properties.get(name); }

    public QObject instantiate() {
        Supplier<? extends QObject> f = description.factory();
        if (f == null || description.isAbstract()) throw new QomException("Object type '" + name() + "' is abstract");
        return f.get();
    }

    /** The chain from the root type down to this one. */
    public List<ObjectType> lineage() {
        List<ObjectType> out = new ArrayList<>();
        for (ObjectType t = this; t != null; t = t.parent) out.add(0, t);
        return out;
    }

    @Override public String toString() { return name(); }
}
