package org.orrery.qmp.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * How a {@link QmpClient} reaches a QMP server: a stream of JSON objects each way. The socket
 * transports speak the wire protocol; the in-process one ({@code org.orrery.qmp.client.inprocess}) calls
 * the command layer directly. Implement it to carry QMP over anything else.
 */
public interface QmpTransport extends AutoCloseable {
    /** Receives everything the server sends: the greeting, replies and events. */
    interface Inbound {
        void message(ObjectNode message);

        /** The session ended; {@code cause} is null for an orderly close. Called once. */
        void closed(Throwable cause);
    }

    /** Starts the transport; from now on it delivers messages to {@code inbound}, from any thread. */
    void open(Inbound inbound) throws IOException;

    /** Sends one message. Called under the client's session lock, so never concurrently. */
    void send(ObjectNode message) throws IOException;

    /**
     * True when {@link #send} executes the command itself and delivers its reply before returning (the
     * in-process transport); the client then runs asynchronous calls on a worker of its own.
     */
    default boolean repliesInline() { return false; }

    @Override void close();
}
