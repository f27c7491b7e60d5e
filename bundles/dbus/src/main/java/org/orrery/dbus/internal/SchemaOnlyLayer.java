package org.orrery.dbus.internal;

import org.orrery.command.SchemaEntity;
import org.orrery.command.SchemaParser;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Schema files merged for describing, not running: what the build-time generator reads. */
final class SchemaOnlyLayer implements SchemaView {
    private final Map<String, SchemaEntity> entities = new LinkedHashMap<>();

    void add(String schemaText, String origin) {
        for (SchemaEntity e : SchemaParser.parse(schemaText, origin)) entities.putIfAbsent(e.name(), e);
    }

    @Override public List<SchemaEntity.Command> commands() {
        List<SchemaEntity.Command> out = new ArrayList<>();
        for (SchemaEntity e : entities.values()) if (e instanceof SchemaEntity.Command c) out.add(c);
        out.sort(Comparator.comparing(SchemaEntity.Command::name));
        return out;
    }

    @Override public List<SchemaEntity.Event> events() {
        List<SchemaEntity.Event> out = new ArrayList<>();
        for (SchemaEntity e : entities.values()) if (e instanceof SchemaEntity.Event ev) out.add(ev);
        out.sort(Comparator.comparing(SchemaEntity.Event::name));
        return out;
    }

    @Override public Optional<SchemaEntity> entity(String name) { return Optional.ofNullable(entities.get(name)); }
}
