package org.orrery.shell.gogo.internal;

/** A command could not do what was asked; its message is one line meant for a person. Gogo prints it. */
public final class CommandFailed extends RuntimeException {
    public CommandFailed(String message) { super(message, null, false, false); }
}
