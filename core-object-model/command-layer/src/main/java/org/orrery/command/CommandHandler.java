package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The code behind one command. Runs on the caller's thread at the tree's safe point (for a machine:
 * with every hart stopped and the machine lock held), unless the schema marks the command any-thread,
 * which runs without either; throws {@link org.orrery.qom.QomException} for errors the client should see.
 */
@FunctionalInterface
public interface CommandHandler {
    /** Returns the command's result (an empty object for commands that return nothing). */
    JsonNode execute(Arguments arguments, CommandContext context);
}
