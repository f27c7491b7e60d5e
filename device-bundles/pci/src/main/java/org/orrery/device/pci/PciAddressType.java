package org.orrery.device.pci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.qom.PropertyType;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

/**
 * The type of a PCI device's {@code addr}: a devfn (slot &lt;&lt; 3 | function), -1 for "the first free slot".
 * Text is QEMU's: the slot in hexadecimal, optionally a dot and the function ({@code 06.0}, {@code 1f},
 * {@code 3.1}); JSON is the devfn as a number, as QEMU's qom-get gives it.
 */
public final class PciAddressType implements PropertyType<Long> {
    public static final PciAddressType INSTANCE = new PciAddressType();

    private PciAddressType() { }

    @Override public String name() { return "int32"; }
    @Override public String schemaType() { return "int"; }
    @Override public Class<Long> javaType() { return Long.class; }

    @Override public Long read(Value value, ObjectContext context) {
        JsonNode n = value.json();
        if (n != null && n.isIntegralNumber()) {
            long v = n.asLong();
            if (v < -1 || v > 255) throw refused(value.name(), n.asText());
            return v;
        }
        String text = value.asString().strip();
        try {
            int dot = text.indexOf('.');
            long slot = Long.parseLong(dot < 0 ? text : text.substring(0, dot), 16);
            long function = dot < 0 ? 0 : Long.parseLong(text.substring(dot + 1), 16);
            if (slot < 0 || slot > 31 || function < 0 || function > 7) throw refused(value.name(), text);
            return slot << 3 | function;
        } catch (NumberFormatException e) {
            throw refused(value.name(), text);
        }
    }

    private static QomException refused(String property, String text) {
        return new QomException("Property '" + property + "' doesn't take value '" + text + "' (a slot and function: 06.0 or 06)");
    }

    @Override public JsonNode write(Long value) { return JsonNodeFactory.instance.numberNode(value == null ? -1 : value); }

    @Override public String format(Long value) { return value == null || value < 0 ? "-1" : format((int) (long) value); }

    /** A devfn as QEMU prints it: {@code 02.0}. */
    public static String format(int devfn) { return String.format("%02x.%x", devfn >> 3, devfn & 7); }
}
