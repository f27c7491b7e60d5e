package org.orrery.dbus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.Variant;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The object tree on the bus: every object at {@code /org/orrery/objects} + its escaped canonical path with
 * {@code org.orrery.Object1}, whose properties are read and written through qom-get and qom-set, and the
 * ObjectManager at {@code /org/orrery/objects}. The shape of an object (which properties, typed how) is read
 * on the machine thread; values go through the command layer.
 */
final class ObjectSurface {
    private final ObjectTree tree;
    private final CommandLayer layer;
    private final ObjectShapes shapes;

    ObjectSurface(ObjectTree tree, CommandLayer layer, ObjectShapes shapes) {
        this.tree = tree;
        this.layer = layer;
        this.shapes = shapes;
    }

    ObjectShapes shapes() { return shapes; }

    /** The shape of the object at a D-Bus path, or UnknownObject. */
    private ObjectShapes.Shape shapeAt(String objectPath) {
        String qom = Names.qomPath(objectPath);
        ObjectShapes.Shape s = qom == null ? null : tree.safePoint().call(() -> {
            QObject o = tree.resolve(qom);
            return o == null ? null : shapes.shape(o);
        });
        if (s == null) throw DbusError.unknownObject("No object at " + objectPath);
        return s;
    }

    String introspect(String objectPath) {
        ObjectShapes.Shape s = shapeAt(objectPath);
        List<String> children = new ArrayList<>();
        for (String c : s.children()) children.add(Names.escape(c));
        String ifaces = objectPath.equals(Names.OBJECTS_PATH)
                ? Introspection.OBJECT_MANAGER + Introspection.STANDARD
                : Introspection.objectInterface(shapes.introspection(s)) + Introspection.PROPERTIES + Introspection.STANDARD;
        return Introspection.node(ifaces, children);
    }

    /** Properties and ObjectManager calls; returns the reply's signature and body. */
    DbusFrontEnd.Reply call(String objectPath, String iface, String member, String sig, Object[] args, Session session) {
        boolean root = objectPath.equals(Names.OBJECTS_PATH);
        if (root && (iface == null || iface.equals(Names.OBJECT_MANAGER)) && member.equals("GetManagedObjects")) {
            DbusFrontEnd.expect(sig, "", member);
            return new DbusFrontEnd.Reply("a{oa{sa{sv}}}", managedObjects());
        }
        if (!root && (iface == null || iface.equals(Names.PROPERTIES))) {
            switch (member) {
                case "Get" -> {
                    DbusFrontEnd.expect(sig, "ss", member);
                    ObjectShapes.Shape s = shapeAt(objectPath);
                    checkInterface((String) args[0]);
                    ObjectShapes.Prop p = prop(s, (String) args[1], objectPath);
                    return new DbusFrontEnd.Reply("v", get(s, p, session));
                }
                case "GetAll" -> {
                    DbusFrontEnd.expect(sig, "s", member);
                    ObjectShapes.Shape s = shapeAt(objectPath);
                    String i = (String) args[0];
                    Map<String, Variant<?>> out = new LinkedHashMap<>();
                    if (i.isEmpty() || i.equals(Names.OBJECT_IFACE)) {
                        for (ObjectShapes.Prop p : s.props()) {
                            try {
                                out.put(p.name(), get(s, p, session));
                            } catch (QomException e) {
                                // a computed property that cannot be read now is left out
                            }
                        }
                    } else {
                        checkInterface(i);
                    }
                    return new DbusFrontEnd.Reply("a{sv}", out);
                }
                case "Set" -> {
                    DbusFrontEnd.expect(sig, "ssv", member);
                    ObjectShapes.Shape s = shapeAt(objectPath);
                    checkInterface((String) args[0]);
                    ObjectShapes.Prop p = prop(s, (String) args[1], objectPath);
                    if (p.qomName() == null) throw DbusError.readOnly("Property '" + p.name() + "' is read-only");
                    ObjectNode a = DbusTypes.F.objectNode().put("path", s.qomPath()).put("property", p.qomName());
                    a.set("value", DbusTypes.toJson(args[2]));
                    layer.execute(tree, "qom-set", Value.ofJson("arguments", a), session);
                    return DbusFrontEnd.Reply.EMPTY;
                }
                default -> { }
            }
        }
        String where = iface == null ? "" : " in interface " + iface;
        if (iface != null && !iface.equals(Names.PROPERTIES) && !iface.equals(Names.OBJECT_MANAGER))
            throw DbusError.unknownInterface("No interface " + iface + " at " + objectPath);
        throw DbusError.unknownMethod("No method " + member + where + " at " + objectPath);
    }

    private static void checkInterface(String iface) {
        if (!iface.isEmpty() && !iface.equals(Names.OBJECT_IFACE))
            throw DbusError.invalidArgs("No such interface '" + iface + "' (objects have " + Names.OBJECT_IFACE + ")");
    }

    private static ObjectShapes.Prop prop(ObjectShapes.Shape s, String name, String objectPath) {
        ObjectShapes.Prop p = s.prop(name);
        if (p == null) throw DbusError.unknownProperty("No property '" + name + "' on " + objectPath + " (a " + s.typeName() + ")");
        return p;
    }

    private Variant<?> get(ObjectShapes.Shape s, ObjectShapes.Prop p, Session session) {
        JsonNode v;
        if (p.qomName() == null) {
            v = DbusTypes.F.textNode(s.qomPath());
        } else {
            ObjectNode a = DbusTypes.F.objectNode().put("path", s.qomPath()).put("property", p.qomName());
            v = layer.execute(tree, "qom-get", Value.ofJson("arguments", a), session);
        }
        return shapes.value(p, v);
    }

    /** Every object but the root with its properties, read in one visit to the machine thread. */
    Map<DBusPath, Map<String, Map<String, Variant<?>>>> managedObjects() {
        return tree.safePoint().call(() -> {
            Map<DBusPath, Map<String, Map<String, Variant<?>>>> out = new LinkedHashMap<>();
            for (QObject o : tree.all()) {
                if (o == tree.root()) continue;
                out.put(new DBusPath(Names.objectPath(o.path())), Map.of(Names.OBJECT_IFACE, shapes.values(o, shapes.shape(o))));
            }
            return out;
        });
    }
}
