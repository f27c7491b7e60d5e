package org.orrery.backend.chardev.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one way chardevs are made, for chardev-add (QMP's nested form, converted to properties) and for
 * x-chardev-add-opts (the command line's flat form): creates {@code /chardevs/ID} of type
 * {@code chardev-BACKEND}, sets the properties through {@link Value} (so "on"/"off" and JSON booleans both
 * work), realizes it, and leaves nothing behind on failure. {@code mux=on} makes the backend
 * {@code ID-base} and a {@code chardev-mux} named ID on top of it, as QEMU does.
 */
final class ChardevFactory {
    private ChardevFactory() { }

    static Chardev create(ObjectTree tree, String id, String backend, Map<String, Value> properties, boolean mux) {
        checkId(id);
        QObject chardevs = tree.container("/chardevs");
        if (chardevs.child(id) != null) throw new QomException("Chardev '" + id + "' already exists");
        String typeName = "chardev-" + switch (backend) {
            case "memory" -> "ringbuf";
            default -> backend;
        };
        if (tree.registry().find(typeName).isEmpty() || backend.equals("mux") && mux)
            throw new QomException("'" + backend + "' is not a valid char driver name");
        if (!mux) return createOne(tree, chardevs, id, typeName, backend, properties);
        String baseId = id + "-base";
        if (chardevs.child(baseId) != null) throw new QomException("Chardev '" + baseId + "' already exists");
        Chardev base = createOne(tree, chardevs, baseId, typeName, backend, properties);
        try {
            Map<String, Value> mp = new LinkedHashMap<>();
            mp.put("chardev", Value.ofJson("chardev", com.fasterxml.jackson.databind.node.TextNode.valueOf(baseId)));
            return createOne(tree, chardevs, id, "chardev-mux", "mux", mp);
        } catch (RuntimeException e) {
            tree.delete(base, true);
            throw e;
        }
    }

    private static Chardev createOne(ObjectTree tree, QObject chardevs, String id, String typeName, String backend, Map<String, Value> properties) {
        QObject o = tree.create(typeName);
        if (!(o instanceof Chardev c)) throw new QomException("'" + typeName + "' is not a chardev type");
        for (Map.Entry<String, Value> p : properties.entrySet()) {
            if (o.type().property(p.getKey()) == null)
                throw new QomException("Invalid parameter '" + p.getKey() + "' for chardev backend '" + backend + "'");
            o.setProperty(p.getKey(), p.getValue());
        }
        chardevs.addChild(id, o);
        try {
            o.realize();
        } catch (RuntimeException e) {
            tree.discard(o);
            throw e;
        }
        return c;
    }

    static void checkId(String id) {
        if (id == null || id.isEmpty() || !Character.isLetter(id.charAt(0)))
            throw new QomException("Parameter 'id' expects an identifier (a letter, then letters, digits, '-', '.', '_'), got '" + id + "'");
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_'))
                throw new QomException("Parameter 'id' expects an identifier (a letter, then letters, digits, '-', '.', '_'), got '" + id + "'");
        }
    }

    /** The chardev at /chardevs/ID or QEMU's error. */
    static Chardev find(ObjectTree tree, String id) {
        QObject o = tree.resolve("/chardevs/" + id);
        if (!(o instanceof Chardev c)) throw QomException.notFound("Chardev '" + id + "' not found");
        return c;
    }

    /** The members every ChardevCommon carries, copied as properties. */
    static void common(ObjectNode data, Map<String, Value> props, String where) {
        if (data.has("logfile")) props.put("logfile", Value.ofJson(where + ".logfile", data.get("logfile")));
        if (data.has("logappend")) props.put("logappend", Value.ofJson(where + ".logappend", data.get("logappend")));
    }
}
