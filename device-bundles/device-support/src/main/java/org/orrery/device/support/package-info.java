/**
 * What device bundles share: a register bank that turns a datasheet's register table into an MMIO
 * handler, once-per-site guest-error logging, and the contracts boards use to reach interrupt controllers.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.orrery.device.support;
