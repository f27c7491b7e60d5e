/**
 * Machine API: device, CPU and backend state as declared, versioned descriptions (what snapshots, migration
 * and live device upgrade save and restore).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.machine.state;
