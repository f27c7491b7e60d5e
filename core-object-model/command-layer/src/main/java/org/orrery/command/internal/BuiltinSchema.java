package org.orrery.command.internal;

import org.orrery.command.SchemaEntity;
import org.orrery.command.SchemaParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Types shared by many modules (ObjectPropertyInfo and friends), always present. */
final class BuiltinSchema {
    private static final List<SchemaEntity> ENTITIES = load();

    private BuiltinSchema() { }

    static List<SchemaEntity> entities() { return ENTITIES; }

    private static List<SchemaEntity> load() {
        try (InputStream in = BuiltinSchema.class.getResourceAsStream("common-types.json")) {
            return SchemaParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "org.orrery.command-layer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
