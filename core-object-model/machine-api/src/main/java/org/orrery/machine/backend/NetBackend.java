package org.orrery.machine.backend;

/**
 * A network backend as a NIC sees it (a netdev object): Ethernet frames in both directions. Implemented by
 * backend bundles; used by network devices. Called on the machine thread; nothing here blocks, and the
 * backend does its host I/O on threads of its own.
 */
public interface NetBackend {
    /** Connects the NIC that receives this backend's frames; a backend has at most one. */
    void attach(NetFrontEnd frontEnd);

    void detach(NetFrontEnd frontEnd);

    /** Takes one Ethernet frame from the guest (without FCS); the bytes are copied before this returns. */
    void send(byte[] frame, int offset, int length);

    /** The NIC has receive buffers again after {@link NetFrontEnd#canReceive()} said no. */
    void frontEndReady();

    /** The NIC's link went up or down ({@code set_link}); a backend may stop delivering while it is down. */
    default void linkChanged(boolean up) { }
}
