package org.orrery.gdbstub.internal;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Turns the bytes gdb sends into {@link Input}s, one byte at a time, so a client that stops in the middle
 * of a packet leaves nothing half-done behind: acknowledgements, the interrupt byte (Ctrl-C), and packets
 * with their checksum verdict. A packet longer than {@code maxPayload} is dropped as {@link Input.Overlong}
 * once its end arrives, without buffering the rest.
 */
final class PacketReader {
    /** What arrives from gdb. */
    sealed interface Input {
        record Ack() implements Input { }
        record Nack() implements Input { }
        record Interrupt() implements Input { }
        /** A packet whose checksum matched; the payload still has its escapes and runs. */
        record Packet(byte[] payload) implements Input { }
        record BadChecksum() implements Input { }
        record Overlong() implements Input { }
    }

    private enum State { IDLE, PAYLOAD, SUM1, SUM2 }

    private final int maxPayload;
    private final Consumer<Input> sink;
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
    private State state = State.IDLE;
    private int sum;
    private int given;
    private boolean overlong;

    PacketReader(int maxPayload, Consumer<Input> sink) {
        this.maxPayload = maxPayload;
        this.sink = sink;
    }

    void feed(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) feed(data[i]);
    }

    void feed(byte b) {
        switch (state) {
            case IDLE -> {
                switch (b) {
                    case Rsp.START -> begin();
                    case Rsp.ACK -> sink.accept(new Input.Ack());
                    case Rsp.NACK -> sink.accept(new Input.Nack());
                    case Rsp.INTERRUPT -> sink.accept(new Input.Interrupt());
                    default -> { } // line noise between packets is ignored, as gdbserver does
                }
            }
            case PAYLOAD -> {
                if (b == Rsp.END) {
                    state = State.SUM1;
                } else if (b == Rsp.START) {
                    begin(); // a new packet before the old one ended: the old one was lost
                } else {
                    sum = (sum + (b & 0xff)) & 0xff;
                    if (payload.size() < maxPayload) payload.write(b);
                    else overlong = true;
                }
            }
            case SUM1 -> {
                given = hexDigit(b);
                state = State.SUM2;
            }
            case SUM2 -> {
                int low = hexDigit(b);
                state = State.IDLE;
                if (given < 0 || low < 0 || (given << 4 | low) != sum) sink.accept(new Input.BadChecksum());
                else if (overlong) sink.accept(new Input.Overlong());
                else sink.accept(new Input.Packet(payload.toByteArray()));
                payload.reset();
            }
        }
    }

    /** True while a packet has begun but not ended. */
    boolean inPacket() { return state != State.IDLE; }

    private void begin() {
        state = State.PAYLOAD;
        payload.reset();
        sum = 0;
        overlong = false;
    }

    private static int hexDigit(byte b) {
        try {
            return Rsp.digit(b);
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }
}
