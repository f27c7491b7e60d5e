/**
 * The in-process transport of libqmp: a {@link org.orrery.qmp.client.QmpClient} talking straight to a
 * command layer and a machine's object tree. Needs the Orrery command layer and object model; the rest
 * of libqmp does not, so they are optional imports.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.qmp.client.inprocess;
