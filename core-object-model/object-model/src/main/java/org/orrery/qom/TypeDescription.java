package org.orrery.qom;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a bundle says about a type: its name, parent, interfaces, whether it is abstract, its own
 * class-level properties and how to create instances. Built fluently:
 * <pre>
 * TypeDescription.named("ns16550a").parent("sys-bus-device").property(CHARDEV).creates(Ns16550a::new)
 * </pre>
 */
public final class TypeDescription {
    private final String name;
    private String parent = "object";
    private final List<String> interfaces = new ArrayList<>();
    private final List<Property<?>> properties = new ArrayList<>();
    private boolean isAbstract;
    private boolean isInterface;
    private String description;
    private Supplier<? extends QObject> factory;

    private TypeDescription(String name) { this.name = Objects.requireNonNull(name); }

    public static TypeDescription named(String name) { return new TypeDescription(name); }

    /** An interface type: abstract, parent "interface", implemented by naming it in {@link #implementing}. */
    public static TypeDescription interfaceNamed(String name) {
        TypeDescription d = new TypeDescription(name);
        d.parent = "interface";
        d.isAbstract = true;
        d.isInterface = true;
        return d;
    }

    public TypeDescription parent(String parentType) { this.parent = parentType; return this; }
    public TypeDescription implementing(String... interfaceTypes) { interfaces.addAll(List.of(interfaceTypes)); return this; }
    public TypeDescription abstractType() { this.isAbstract = true; return this; }
    public TypeDescription description(String text) { this.description = text; return this; }
    public TypeDescription property(Property<?> property) { properties.add(property); return this; }
    public TypeDescription properties(Property<?>... props) { properties.addAll(List.of(props)); return this; }
    public TypeDescription creates(Supplier<? extends QObject> factory) { this.factory = factory; return this; }

    public String name() { return name; }
    public String parent() { return parent; }
    public List<String> interfaces() { return List.copyOf(interfaces); }
    public List<Property<?>> properties() { return List.copyOf(properties); }
    public boolean isAbstract() { return isAbstract || factory == null; }
    public boolean isInterface() { return isInterface; }
    public String description() { return description; }
    public Supplier<? extends QObject> factory() { return factory; }
}
