package org.orrery.machine.backend;

/** The receiving end of a {@link CharBackend}: a device or a monitor. Called on the machine thread. */
public interface CharFrontEnd {
    /** How many bytes can be taken now (FIFO space). */
    int canReceive();

    void receive(byte[] data, int offset, int length);

    /**
     * The peer connected, disconnected, or sent a break; or, behind a multiplexer (-serial mon:stdio), this
     * front-end got (MUX_IN) or lost (MUX_OUT) the input focus, as when Ctrl-a c switches to the monitor.
     */
    default void event(CharEvent event) { }

    /**
     * The backend has room again after a {@link CharBackend#write} accepted fewer bytes than offered (QEMU's
     * G_IO_OUT watch): a front-end holding output retries now instead of polling.
     */
    default void outputReady() { }

    enum CharEvent { OPENED, CLOSED, BREAK, MUX_IN, MUX_OUT }
}
