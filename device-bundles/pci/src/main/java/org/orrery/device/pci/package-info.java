/**
 * The PCI device API: what a PCI function (in this bundle or any other) implements to sit on a PCI bus
 * (its configuration space, BARs, capabilities, INTx and MSI-X), the bus, and what a host bridge provides.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.device.pci;
