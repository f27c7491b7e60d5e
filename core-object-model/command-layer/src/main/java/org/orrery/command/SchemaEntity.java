package org.orrery.command;

import java.util.List;

/** One definition of a schema file. */
public sealed interface SchemaEntity {
    String name();

    String doc();

    /** The bundle (or "builtin") that contributed the definition. */
    String origin();

    record Struct(String name, String base, List<Member> members, String doc, String origin) implements SchemaEntity { }

    record Enum(String name, List<String> values, String doc, String origin) implements SchemaEntity { }

    record Alternate(String name, List<Member> members, String doc, String origin) implements SchemaEntity { }

    /**
     * A command. {@code arguments} names a struct (inline data becomes an implicit struct);
     * {@code extraArguments} lets members beyond those pass through (as device_add and object-add need);
     * {@code execution} says what the command may find the machine doing while it runs;
     * {@code journal} commands configure the machine and are recorded so it can be saved and rebuilt.
     */
    record Command(String name, String arguments, TypeRef returns, boolean extraArguments, boolean allowPreconfig,
                   Execution execution, boolean journal, String doc, String origin) implements SchemaEntity {
        /** The command touches no machine state: it runs on the caller's thread without the machine's lock. */
        public boolean anyThread() { return execution == Execution.ANY_THREAD; }
    }

    /** How a command runs against a machine, from the most to the least exclusive. */
    enum Execution {
        /** Under the machine's lock with every hart stopped at a safe point: it may change anything (the default). */
        HARTS_STOPPED,
        /**
         * Under the machine's lock while the harts go on ({@code "harts-run": true}): for commands that only read,
         * or change only what harts reach under the lock (devices), so that a client polling the machine does not
         * stop its guest each time, as QEMU's monitor does not stop its vCPUs.
         */
        HARTS_RUN,
        /** On the caller's thread without the lock ({@code "any-thread": true}): introspection and front-end state. */
        ANY_THREAD
    }

    record Event(String name, String data, String doc, String origin) implements SchemaEntity { }
}
