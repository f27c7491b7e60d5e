package org.orrery.command;

/** A member of a struct, of a command's arguments or of an event's data. */
public record Member(String name, TypeRef type, boolean optional, String doc) { }
