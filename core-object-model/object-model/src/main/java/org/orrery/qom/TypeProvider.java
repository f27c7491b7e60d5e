package org.orrery.qom;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The whiteboard service through which a bundle contributes a type. Register one per type (for example
 * as a Declarative Services component); the type registry picks it up while the service exists and
 * forgets the type, and removes its live instances, when it goes.
 */
@ConsumerType
public interface TypeProvider {
    TypeDescription describe();
}
