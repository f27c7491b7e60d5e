package org.orrery.command;

/**
 * Attached to an object tree by whoever owns its run state (the machine runtime): decides whether a
 * command may run now, for example refusing configuration-only commands in preconfig.
 */
@FunctionalInterface
public interface CommandGate {
    /** Throws {@link org.orrery.qom.QomException} when {@code command} may not run now. */
    void check(SchemaEntity.Command command);
}
