package org.orrery.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A convenient base for command modules: the schema comes from a resource beside the subclass (by
 * default {@code schema.json} in its package), handlers are registered with {@link #on}.
 */
public abstract class AbstractCommandModule implements CommandModule {
    private final Map<String, CommandHandler> handlers = new LinkedHashMap<>();
    private final String schema;

    protected AbstractCommandModule() { this("schema.json"); }

    protected AbstractCommandModule(String schemaResource) {
        try (InputStream in = getClass().getResourceAsStream(schemaResource)) {
            if (in == null) throw new IllegalStateException("schema resource " + schemaResource + " missing beside " + getClass().getName());
            this.schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected final void on(String command, CommandHandler handler) { handlers.put(command, handler); }

    @Override public final String schema() { return schema; }

    @Override public final Map<String, CommandHandler> handlers() { return Map.copyOf(handlers); }
}
