package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.freedesktop.dbus.types.Variant;
import org.orrery.command.TypeRef;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.Settable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an object of the tree looks on the bus: its {@code org.orrery.Object1} properties (typed from its
 * class properties) and its children. Read on the machine thread.
 */
final class ObjectShapes {
    /** One D-Bus property: its D-Bus name, its QOM name (null for Path), its schema type and signature. */
    record Prop(String name, String qomName, TypeRef type, String signature, boolean writable, String doc) { }

    record Shape(String qomPath, String typeName, List<Prop> props, List<String> children) {
        Prop prop(String name) {
            for (Prop p : props) if (p.name().equals(name)) return p;
            return null;
        }
    }

    private static final TypeRef STR = TypeRef.named("str");

    private final DbusTypes types;

    ObjectShapes(DbusTypes types) { this.types = types; }

    Shape shape(QObject o) {
        List<Prop> props = new ArrayList<>();
        props.add(new Prop("Type", "type", STR, "s", false, "the object's QOM type (read-only)"));
        props.add(new Prop("Path", null, STR, "s", false, "the object's canonical QOM path (read-only)"));
        for (Property<?> p : o.type().properties().values()) {
            String name = Names.propertyName(p.name());
            if (name == null || props.stream().anyMatch(q -> q.name().equals(name))) continue;
            TypeRef t = p.type() instanceof PropertyTypes.EnumType ? STR : DbusTypes.parseType(p.type().schemaType());
            String window = switch (p.settable()) {
                case BEFORE_REALIZE -> "settable before realize";
                case ALWAYS -> "settable at any time";
                case NEVER -> "read-only";
            };
            String doc = (p.description() == null ? "" : p.description() + " ") + "(QOM property '" + p.name() + "', " + p.type().name() + ", " + window + ")";
            props.add(new Prop(name, p.name(), t, types.signature(t), p.settable() != Settable.NEVER, doc));
        }
        return new Shape(o.path(), o.type().name(), props, List.copyOf(o.children().keySet()));
    }

    /** Every property's value, read directly (on the machine thread); properties whose getter fails are left out. */
    Map<String, Variant<?>> values(QObject o, Shape s) {
        Map<String, Variant<?>> out = new LinkedHashMap<>();
        for (Prop p : s.props()) {
            try {
                out.put(p.name(), value(p, p.qomName() == null ? DbusTypes.F.textNode(o.path()) : o.getProperty(p.qomName())));
            } catch (RuntimeException e) {
                // a computed property that cannot be read now
            }
        }
        return out;
    }

    Variant<?> value(Prop p, JsonNode json) { return DbusTypes.wrap(types.toDbus(json, p.type()), p.signature()); }

    List<Introspection.Prop> introspection(Shape s) {
        List<Introspection.Prop> out = new ArrayList<>();
        for (Prop p : s.props()) out.add(new Introspection.Prop(p.name(), p.signature(), p.writable(), p.doc()));
        return out;
    }
}
