package org.orrery.machine.device;

/**
 * A device wired to harts' interrupt pins (an interrupt controller, a timer). When the harts are made again
 * (their CPU bundle returned or was updated) the machine calls it, with every hart stopped and the lock held,
 * to take the new harts' pins and drive each with the level it should have now.
 */
public interface HartWiring {
    void rewireHarts();
}
