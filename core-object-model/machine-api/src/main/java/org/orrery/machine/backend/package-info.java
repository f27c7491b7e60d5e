/** Machine API: backend. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.orrery.machine.backend;
