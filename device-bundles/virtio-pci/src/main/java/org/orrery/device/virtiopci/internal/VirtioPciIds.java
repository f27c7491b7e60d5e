package org.orrery.device.virtiopci.internal;

import java.util.Map;

/**
 * What a virtio device is on PCI, by its virtio device id (virtio 1.2, 4.1.2.1, and QEMU's choices of class):
 * its transitional PCI device id (0 for devices that never had a legacy interface), its class code, and how
 * many MSI-X vectors it gets unless told.
 */
final class VirtioPciIds {
    private VirtioPciIds() { }

    record Ids(int transitionalDevice, int classCode, int fixedVectors) {
        /** QEMU's default: a fixed number for some devices, else one per queue and one for configuration. */
        long defaultVectors(int queues) { return fixedVectors > 0 ? fixedVectors : queues + 1L; }
    }

    private static final Map<Integer, Ids> BY_VIRTIO_ID = Map.of(
            1, new Ids(0x1000, 0x020000, 3),    // network: Ethernet controller
            2, new Ids(0x1001, 0x010000, 0),    // block: SCSI controller, as QEMU says
            3, new Ids(0x1003, 0x078000, 2),    // console: communication controller
            4, new Ids(0x1005, 0x00ff00, 0),    // entropy source: unclassified
            5, new Ids(0x1002, 0x00ff00, 0),    // memory balloon
            8, new Ids(0x1004, 0x010000, 0),    // SCSI host
            9, new Ids(0x1009, 0x000200, 0),    // 9P transport
            16, new Ids(0, 0x038000, 0),        // GPU: display controller
            18, new Ids(0, 0x098000, 0));       // input: input controller

    static Ids of(int virtioId) { return BY_VIRTIO_ID.getOrDefault(virtioId, new Ids(0, 0x00ff00, 0)); }
}
