package org.orrery.machine.backend;

/**
 * A character stream a device or monitor talks through (a chardev object). Implemented by backend
 * bundles; used by front-ends (the UART, the monitors). Called on the machine thread.
 */
public interface CharBackend {
    /** Connects the front-end that receives this stream's input; a stream has at most one (mux shares). */
    void attach(CharFrontEnd frontEnd);

    void detach(CharFrontEnd frontEnd);

    /**
     * Queues output; never blocks the machine thread. Returns how many bytes were accepted, fewer than
     * {@code length} when the bounded buffer is full (the front-end retries later: back-pressure).
     */
    int write(byte[] data, int offset, int length);

    /** The front-end can take input again (its FIFO drained); the backend delivers what it holds. */
    void frontEndReady();

    /** True when a peer is there to read the output (a connected socket client, an open terminal). */
    boolean isConnected();
}
