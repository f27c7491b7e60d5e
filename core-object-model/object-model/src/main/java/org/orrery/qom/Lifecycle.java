package org.orrery.qom;

/** The life of an object: created and configured, realized (in use), unrealized, finalized (gone). */
public enum Lifecycle { CREATED, REALIZED, UNREALIZED, FINALIZED }
