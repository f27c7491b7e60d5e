package org.orrery.qom;

import org.osgi.annotation.versioning.ProviderType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The central registry of types, fed by {@link TypeProvider} services. One per container; every machine's
 * object tree creates its objects through it.
 */
@ProviderType
public interface TypeRegistry {
    Optional<ObjectType> find(String name);

    /** The type, or a precise error: unknown, or known but unavailable (and why). */
    ObjectType require(String name);

    /** Types that are or implement {@code implementsType} (all when null), abstract ones only when asked. */
    List<ObjectType> list(String implementsType, boolean includeAbstract);

    /** Types that were contributed but cannot be used, with the reason (a missing parent, a duplicate name). */
    Map<String, String> unavailable();

    void addListener(Listener listener);

    void removeListener(Listener listener);

    /** Told about types coming and going; removal is announced before the types are forgotten. */
    interface Listener {
        default void typesAdded(Set<String> names) { }

        /** Called synchronously before the types go: remove every live instance before returning. */
        default void typesRemoving(Set<String> names) { }

        /**
         * As {@link #typesRemoving}, when the types go because their bundle is being updated or refreshed (it
         * stops only for now): they are expected back, so a listener may save what its instances hold and give
         * it to the new ones. Remove every live instance before returning, as for a removal.
         */
        default void typesReplacing(Set<String> names) { typesRemoving(names); }
    }
}
