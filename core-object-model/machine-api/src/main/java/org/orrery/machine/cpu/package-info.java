/** Machine API: the contract between a machine and its harts (execution, interrupts, debugging). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.orrery.machine.cpu;
