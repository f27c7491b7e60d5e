package org.orrery.qom;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One tree's property defaults by type (QEMU's {@code -global TYPE.PROP=VALUE}): every object created
 * afterwards whose type is or inherits from TYPE starts with PROP set to VALUE, before anyone else sets
 * its properties, in the order the defaults were given. A default that does not fit the object (no such
 * property, a value of the wrong type) makes its creation fail with QEMU's "can't apply global" message.
 */
public final class GlobalProperties {
    /** One default: {@code value} in the text dialect (on/off, 0x.., size suffixes), as the command line gives it. */
    public record Global(String type, String property, String value) {
        public Global {
            if (type == null || type.isEmpty()) throw new QomException("Parameter 'driver' is missing");
            if (property == null || property.isEmpty()) throw new QomException("Parameter 'property' is missing");
            if (value == null) throw new QomException("Parameter 'value' is missing");
        }

        @Override public String toString() { return type + "." + property + "=" + value; }
    }

    private final List<Global> globals = new CopyOnWriteArrayList<>();

    /** Adds a default for objects created from now on. */
    public void add(Global g) { globals.add(g); }

    public List<Global> list() { return List.copyOf(globals); }

    /** The defaults that name no type the registry knows (QEMU warns of them: "has invalid class name"). */
    public List<Global> unknownTypes(TypeRegistry registry) {
        List<Global> out = new ArrayList<>();
        for (Global g : globals) if (registry.find(g.type()).isEmpty()) out.add(g);
        return out;
    }

    /** Sets every default that applies to {@code o}; the first that does not fit is thrown. */
    void applyTo(QObject o) {
        for (Global g : globals) {
            if (!o.type().isA(g.type())) continue;
            try {
                o.setProperty(g.property(), Value.ofText(g.property(), g.value()));
            } catch (QomException e) {
                throw new QomException("can't apply global " + g + ": " + e.getMessage());
            }
        }
    }
}
