/** Machine API: image loaders (ELF64/ELF32 and raw images) that place firmware and kernels into an address space. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.machine.loader;
