package org.orrery.dbus.internal;

import org.orrery.command.CommandLayer;
import org.orrery.command.SchemaEntity;

import java.util.List;
import java.util.Optional;

/** The part of the schema the D-Bus surface is generated from: the command layer's, or schema files' at build time. */
interface SchemaView {
    List<SchemaEntity.Command> commands();

    List<SchemaEntity.Event> events();

    Optional<SchemaEntity> entity(String name);

    static SchemaView of(CommandLayer layer) {
        return new SchemaView() {
            public List<SchemaEntity.Command> commands() { return layer.commands(); }
            public List<SchemaEntity.Event> events() { return layer.events(); }
            public Optional<SchemaEntity> entity(String name) { return layer.entity(name); }
        };
    }
}
