package org.orrery.machine.state;

/**
 * Something with guest-visible state beyond its properties: a device, a hart, a backend. Its description
 * saves it to a {@link StateRecord} and restores one into another instance of its type.
 */
public interface Stateful {
    /** The description of this object's state, or null when it has none (everything it holds follows from its properties). */
    StateDescription<?> stateDescription();

    /** Saves this object's state; null when it has none. Called at the machine's safe point. */
    default StateRecord saveState() {
        StateDescription<?> d = stateDescription();
        return d == null ? null : d.saveUnchecked(this);
    }

    /**
     * Takes over {@code saved} (migrating it from an older version first). Everything is checked before anything
     * is changed: a state that cannot be taken throws {@link StateException} and leaves this object as it was.
     */
    default void restoreState(StateRecord saved) {
        StateDescription<?> d = stateDescription();
        if (d == null) throw new StateException(this + " has no state to restore");
        d.restoreUnchecked(this, saved);
    }
}
