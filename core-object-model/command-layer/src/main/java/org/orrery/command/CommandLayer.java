package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.Value;
import org.osgi.annotation.versioning.ProviderType;

import java.util.List;
import java.util.Optional;

/**
 * The one command layer every front-end calls. It always reflects the command modules installed at
 * that moment. Thread-safe: front-ends call it from their own threads; handlers run on the calling
 * thread, inside the tree's safe point ({@code SafePoint.call}: for a machine, the world stopped and its
 * lock held) unless the command is any-thread.
 */
@ProviderType
public interface CommandLayer {
    /**
     * Validates {@code arguments} (JSON or text dialect; may be null for none) against the command's
     * schema and runs it on {@code tree}. Throws {@link org.orrery.qom.QomException} with the QMP error
     * class and message the client should see.
     */
    JsonNode execute(ObjectTree tree, String command, Value arguments, Session session);

    Optional<SchemaEntity.Command> command(String name);

    /** Every command installed now, sorted by name. */
    List<SchemaEntity.Command> commands();

    /** Every event declared now. */
    List<SchemaEntity.Event> events();

    /** Looks up any named definition of the current schema. */
    Optional<SchemaEntity> entity(String name);

    /** The schema in QEMU's SchemaInfo form, as query-qmp-schema returns it. */
    ArrayNode introspect();

    /** Called (on some thread) after commands or events came or went. */
    void addChangeListener(Runnable listener);

    void removeChangeListener(Runnable listener);
}
