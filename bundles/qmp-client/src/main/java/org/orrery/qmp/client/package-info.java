/** libqmp: a Java client of QMP. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.qmp.client;
