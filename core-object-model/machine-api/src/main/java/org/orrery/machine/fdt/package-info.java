/** Machine API: fdt. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.machine.fdt;
