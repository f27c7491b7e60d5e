package org.orrery.command;

import org.osgi.annotation.versioning.ConsumerType;

import java.util.Map;

/**
 * The whiteboard service through which a bundle contributes commands and events: its schema (the one
 * description of them) and the handler of each command it declares. While the service is registered the
 * commands are in query-commands, query-qmp-schema and every front-end; when it goes, they go.
 */
@ConsumerType
public interface CommandModule {
    /** The schema text: a JSON array of QAPI-like definitions (see {@link SchemaParser}). */
    String schema();

    /** One handler per command the schema declares. */
    Map<String, CommandHandler> handlers();
}
