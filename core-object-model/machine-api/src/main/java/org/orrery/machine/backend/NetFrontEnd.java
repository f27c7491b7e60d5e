package org.orrery.machine.backend;

/** The receiving end of a {@link NetBackend}: a network device. Called on the machine thread. */
public interface NetFrontEnd {
    /** True when the device holds a receive buffer for one more frame now. */
    boolean canReceive();

    /** Delivers one Ethernet frame; called only after {@link #canReceive()} said yes. */
    void receive(byte[] frame, int offset, int length);

    /** The NIC's name as QEMU reports it: its id, or {@code MODEL.N} when it has none. */
    String nicName();

    /** The NIC's model (its type, e.g. {@code virtio-net-pci}). */
    String model();

    /** The MAC address, as {@code 52:54:00:12:34:56}. */
    String macAddress();

    boolean isLinkUp();

    /** Sets the link state the guest sees (QEMU's {@code set_link}). */
    void setLinkUp(boolean up);
}
