package org.orrery.device.virtio.internal;

import org.orrery.device.virtio.VirtioDevice;
import org.orrery.device.virtio.Virtqueue;

import java.security.SecureRandom;

/** virtio entropy device (virtio 1.2, section 5.4): fills every writable buffer the driver offers with random bytes. */
final class VirtioRng extends VirtioDevice {
    static final String TYPE = "virtio-rng-device";
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
            random.nextBytes(bytes);
            e.write(0, bytes, 0, n);
            q.push(e, n);
            any = true;
        }
        if (any) transport().notifyUsed(q);
    }
}
