/**
 * The command layer: commands, their argument and result types and events are described once, in
 * QAPI-like schema files that bundles ship beside their handlers; every front-end (QMP, the human
 * monitor, Gogo, D-Bus, the command line, config files) calls commands through {@link org.orrery.command.CommandLayer}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.command;
