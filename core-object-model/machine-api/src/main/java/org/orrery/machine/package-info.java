/** Machine API: the machine (its run state, thread, clock, memory, devices) and the machine manager. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.orrery.machine;
