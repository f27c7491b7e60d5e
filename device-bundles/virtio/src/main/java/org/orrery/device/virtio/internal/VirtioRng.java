package org.orrery.device.virtio.internal;

import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;

import org.orrery.machine.backend.EntropySource;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;

import java.security.SecureRandom;

/** virtio entropy device (virtio 1.2, section 5.4): fills every writable buffer the driver offers with random bytes. */
final class VirtioRng extends VirtioDevice {
    static final String TYPE = "virtio-rng-device";
    /** QEMU's rng property: an rng-backend object; without one, the host's generator is used directly. */
    static final Property<QObject> RNG = Property.of("rng", PropertyTypes.link("rng-backend", QObject.class, "/objects"))
            .description("the rng-backend object supplying random bytes (default: the host's generator)");
    private final SecureRandom random = new SecureRandom();

    @Override public int deviceId() { return 4; }
    @Override public long deviceFeatures() { return 0; }
    @Override public int queueCount() { return 1; }

    @Override protected void queueNotified(Virtqueue q) {
        Virtqueue.Element e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            int n = (int) Math.min(e.inLength(), 1 << 16);
            byte[] bytes = new byte[n];
            if (get(RNG) instanceof EntropySource source) n = source.fill(bytes, 0, n);
            else random.nextBytes(bytes);
            e.write(0, bytes, 0, n);
            q.push(e, n);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }
}
