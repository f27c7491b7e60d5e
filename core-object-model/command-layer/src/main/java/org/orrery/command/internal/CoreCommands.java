package org.orrery.command.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.command.SchemaEntity;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.ObjectType;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyInfo;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeRegistry;
import org.orrery.qom.Value;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.util.List;
import java.util.Map;

/** The object-model commands (qom-*, object-add/del, type and property listings) and introspection. */
@Component(service = CommandModule.class)
public final class CoreCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final TypeRegistry types;
    private final String version;

    @Activate
    public CoreCommands(@Reference TypeRegistry types) {
        this.types = types;
        Bundle b = FrameworkUtil.getBundle(CoreCommands.class);
        this.version = b == null ? "0.1.0-dev" : b.getVersion().toString();
        on("query-version", this::queryVersion);
        on("query-commands", (a, c) -> {
            ArrayNode out = F.arrayNode();
            for (SchemaEntity.Command cmd : c.commands().commands()) out.addObject().put("name", cmd.name());
            return out;
        });
        on("query-qmp-schema", (a, c) -> c.commands().introspect());
        on("qom-list", (a, c) -> propertyList(c.tree().require(a.str("path")).listProperties()));
        on("qom-get", (a, c) -> c.tree().require(a.str("path")).getProperty(a.str("property")));
        on("qom-set", (a, c) -> {
            c.tree().require(a.str("path")).setProperty(a.str("property"), a.value("value"));
            return F.objectNode();
        });
        on("qom-list-types", this::listTypes);
        on("qom-list-properties", (a, c) -> typeProperties(types.require(a.str("typename"))));
        on("device-list-properties", (a, c) -> {
            ObjectType t = types.require(a.str("typename"));
            if (!t.isA("device")) throw new QomException("Parameter 'typename' expects device type");
            if (t.isAbstract()) throw new QomException("Parameter 'typename' expects a non-abstract device type");
            return typeProperties(t);
        });
        on("object-add", CoreCommands::objectAdd);
        on("object-del", (a, c) -> {
            QObject o = c.tree().resolve("/objects/" + a.str("id"));
            if (o == null) throw new QomException("object '" + a.str("id") + "' not found");
            List<String> users = c.tree().linkersOf(o);
            if (!users.isEmpty()) throw new QomException("object '" + a.str("id") + "' is in use, can not be deleted (used by " + String.join(", ", users) + ")");
            c.tree().delete(o, false);
            return F.objectNode();
        });
    }

    private JsonNode queryVersion(Arguments a, CommandContext c) {
        ObjectNode r = F.objectNode();
        r.putObject("qemu").put("micro", 0).put("minor", 2).put("major", 7);
        r.put("package", " (Orrery " + version + ")");
        return r;
    }

    private JsonNode listTypes(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        boolean includeAbstract = a.bool("abstract", false);
        for (ObjectType t : types.list(a.str("implements", null), includeAbstract)) {
            ObjectNode o = out.addObject().put("name", t.name());
            if (t.isAbstract()) o.put("abstract", true);
            if (t.parentName() != null) o.put("parent", t.parentName());
        }
        return out;
    }

    static ArrayNode typeProperties(ObjectType t) {
        ArrayNode out = F.arrayNode();
        for (Property<?> p : t.properties().values()) out.add(propertyInfo(infoOf(p)));
        return out;
    }

    private static <T> PropertyInfo infoOf(Property<T> p) {
        return new PropertyInfo(p.name(), p.type().name(), p.description(),
                p.defaultValue() == null ? null : p.type().write(p.defaultValue()));
    }

    static ArrayNode propertyList(List<PropertyInfo> infos) {
        ArrayNode out = F.arrayNode();
        for (PropertyInfo i : infos) out.add(propertyInfo(i));
        return out;
    }

    private static ObjectNode propertyInfo(PropertyInfo i) {
        ObjectNode o = F.objectNode().put("name", i.name()).put("type", i.type());
        if (i.description() != null) o.put("description", i.description());
        if (i.defaultValue() != null) o.set("default-value", i.defaultValue());
        return o;
    }

    /** Creates /objects/ID, sets its properties, completes it; on any failure nothing is left behind. */
    static JsonNode objectAdd(Arguments a, CommandContext c) {
        ObjectTree tree = c.tree();
        String typeName = a.str("qom-type");
        String id = a.str("id");
        ObjectType t = tree.registry().require(typeName);
        if (!t.isA("user-creatable")) throw new QomException("object type '" + typeName + "' isn't supported by object-add");
        if (t.isAbstract()) throw new QomException("object type '" + typeName + "' is abstract");
        QObject objects = tree.container("/objects");
        if (objects.child(id) != null) throw new QomException("Duplicate ID '" + id + "' for object");
        QObject o = tree.create(typeName);
        for (Map.Entry<String, Value> p : a.extra().entrySet()) o.setProperty(p.getKey(), p.getValue());
        objects.addChild(id, o);
        try {
            o.realize();
        } catch (RuntimeException e) {
            tree.discard(o);
            throw e;
        }
        return F.objectNode();
    }
}
