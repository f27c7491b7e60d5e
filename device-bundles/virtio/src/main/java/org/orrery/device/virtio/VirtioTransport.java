package org.orrery.device.virtio;

import org.orrery.machine.memory.AddressSpace;

/** What a virtio device sees of the transport it is plugged into (virtio-mmio on virt). */
public interface VirtioTransport {
    /** The address space the device reaches guest memory through (DMA). */
    AddressSpace dma();

    /** Signals a used-buffer notification for {@code queue} (honouring the driver's suppression flags). */
    void notifyUsed(Virtqueue queue);

    /** Signals a configuration change (and bumps the configuration generation). */
    void configChanged();

    /** The device hit a guest error it cannot recover from: sets DEVICE_NEEDS_RESET and notifies. */
    void needsReset(String why);

    /** Features the driver accepted. */
    long negotiatedFeatures();

    /** The transport's base address, for names and ordering. */
    long baseAddress();

    /** The transport's canonical path. */
    String path();
}
