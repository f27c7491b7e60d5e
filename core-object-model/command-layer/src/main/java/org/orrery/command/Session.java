package org.orrery.command;

/**
 * The front-end connection a command arrives through: who is asking (for messages and logs) and
 * where a command may print text for a person (the human monitor's output).
 */
public interface Session {
    /** A short name for logs and errors, for example "qmp unix:/tmp/q.sock #3". */
    String name();

    /** Session-scoped state a front-end or command keeps (for example the HMP's current CPU). */
    default <T> T attribute(Class<T> key) { return null; }

    Session INTERNAL = () -> "internal";
}
