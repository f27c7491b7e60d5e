package org.orrery.device.support;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyType;
import org.orrery.qom.PropertyTypes;

/**
 * The shape most device settings take, one line each: a number of a given type with its default and what it means
 * (which {@code device-list-properties} shows). Other properties are declared with {@link Property#of} directly.
 *
 * <pre>
 * static final Property&lt;Long&gt; NUM_SOURCES = uint32("num-sources", 96, "number of interrupt sources");
 * </pre>
 */
public final class DeviceProperties {
    private DeviceProperties() { }

    public static Property<Long> uint32(String name, long defaultValue, String description) {
        return number(name, PropertyTypes.UINT32, defaultValue, description);
    }

    public static Property<Long> uint64(String name, long defaultValue, String description) {
        return number(name, PropertyTypes.UINT64, defaultValue, description);
    }

    /** A size in bytes: it takes suffixes ({@code 256M}) on the command line. */
    public static Property<Long> size(String name, long defaultValue, String description) {
        return number(name, PropertyTypes.SIZE, defaultValue, description);
    }

    private static Property<Long> number(String name, PropertyType<Long> type, long defaultValue, String description) {
        return Property.of(name, type).defaultValue(defaultValue).description(description);
    }
}
