package org.orrery.qom;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Something that happened in a machine, delivered to every front-end (QMP events, D-Bus signals, shell). */
public record Event(String name, ObjectNode data, long epochMicros) {
    public long seconds() { return epochMicros / 1_000_000; }
    public long microseconds() { return epochMicros % 1_000_000; }
}
