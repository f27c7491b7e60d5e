package org.orrery.machine.state;

/** A saved state that cannot be taken: a newer or too old version, a missing field, a value out of range. */
public final class StateException extends RuntimeException {
    public StateException(String message) { super(message); }

    public StateException(String message, Throwable cause) { super(message, cause); }
}
