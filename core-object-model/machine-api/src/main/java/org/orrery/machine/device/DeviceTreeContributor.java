package org.orrery.machine.device;

/** A device that appears in the guest's device tree adds its own node, so boards need not know it. */
public interface DeviceTreeContributor {
    void contributeDeviceTree(DeviceTreeContext context);
}
