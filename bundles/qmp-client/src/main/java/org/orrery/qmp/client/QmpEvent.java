package org.orrery.qmp.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An asynchronous event: its name, its data (an empty object when it has none) and its timestamp. */
public record QmpEvent(String name, ObjectNode data, long seconds, long microseconds) {
    /** The timestamp in microseconds since the epoch. */
    public long epochMicros() { return seconds * 1_000_000 + microseconds; }
}
