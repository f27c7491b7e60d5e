package org.orrery.command;

import org.orrery.qom.ObjectTree;

/** What a command handler works on: the machine's object tree and the session that asked. */
public record CommandContext(ObjectTree tree, Session session, CommandLayer commands) { }
