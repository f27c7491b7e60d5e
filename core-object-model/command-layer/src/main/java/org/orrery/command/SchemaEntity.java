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
     * {@code anyThread} commands touch no machine state and skip the hop to the machine thread;
     * {@code journal} commands configure the machine and are recorded so it can be saved and rebuilt.
     */
    record Command(String name, String arguments, TypeRef returns, boolean extraArguments, boolean allowPreconfig,
                   boolean anyThread, boolean journal, String doc, String origin) implements SchemaEntity { }

    record Event(String name, String data, String doc, String origin) implements SchemaEntity { }
}
