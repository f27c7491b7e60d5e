package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The type of a property or command argument: how a value is read through {@link Value}, how it is
 * written back as JSON, and the names it goes by (in qom-list, and in the QAPI schema).
 *
 * @param <T> the Java type values have inside an object
 */
public interface PropertyType<T> {
    /** The name qom-list and device-list-properties show: "bool", "uint32", "size", "str", "link<chardev>"... */
    String name();

    /** The QAPI schema type this maps to ("bool", "int", "uint32", "size", "str", "any", or a named type). */
    String schemaType();

    Class<T> javaType();

    /** Reads a value; throws {@link QomException} with a precise message when it does not fit. */
    T read(Value value, ObjectContext context);

    /** Writes a value as JSON (a null value gives the type's empty form). */
    JsonNode write(T value);

    /** Formats a value for people (HMP, Gogo, help text). */
    default String format(T value) {
        JsonNode j = write(value);
        return j.isTextual() ? j.textValue() : j.toString();
    }

    /** What a reader needs to resolve references while reading (links name objects by path). */
    interface ObjectContext {
        QObject resolve(String path);
    }
}
