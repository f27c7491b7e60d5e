/**
 * The virtio device API: what a virtio device type (in this bundle or any other) implements to plug into
 * a virtio transport, and the split virtqueue it processes guest requests from.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.device.virtio;
