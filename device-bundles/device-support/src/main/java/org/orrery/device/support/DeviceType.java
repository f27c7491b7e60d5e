package org.orrery.device.support;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;

import java.util.function.Supplier;

/**
 * A device type as a Declarative Services component, so a device class carries its own type as a nested
 * class of three lines:
 *
 * <pre>
 * &#64;Component(service = TypeProvider.class)
 * public static final class Type extends DeviceType {
 *     public Type() { super(() -&gt; typeWithIrq(TYPE, MyDevice.class, MyDevice::new).description(DESCRIPTION)); }
 * }
 * </pre>
 */
public abstract class DeviceType implements TypeProvider {
    private final Supplier<TypeDescription> description;

    protected DeviceType(Supplier<TypeDescription> description) { this.description = description; }

    @Override public final TypeDescription describe() { return description.get(); }
}
