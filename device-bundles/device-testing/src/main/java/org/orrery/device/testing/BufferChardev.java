package org.orrery.device.testing;

import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.qom.QObject;

import java.io.ByteArrayOutputStream;

/** A chardev (type "chardev-buffer") that collects output, accepts at most {@link #setCapacity} bytes per write, and lets tests type input. */
public final class BufferChardev extends QObject implements CharBackend {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private CharFrontEnd frontEnd;
    private int capacity = Integer.MAX_VALUE;
    private int readyCalls;

    public String output() { return out.toString(java.nio.charset.StandardCharsets.ISO_8859_1); }
    public void setCapacity(int bytesPerWrite) { capacity = bytesPerWrite; }
    public CharFrontEnd frontEnd() { return frontEnd; }
    public int readyCalls() { return readyCalls; }

    /** Sends as much of {@code text} as the front-end takes; returns how many bytes it took. */
    public int type(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        int n = Math.min(b.length, frontEnd.canReceive());
        if (n > 0) frontEnd.receive(b, 0, n);
        return n;
    }

    @Override public void attach(CharFrontEnd fe) { frontEnd = fe; }
    @Override public void detach(CharFrontEnd fe) { if (frontEnd == fe) frontEnd = null; }

    @Override public int write(byte[] data, int offset, int length) {
        int n = Math.min(length, capacity);
        out.write(data, offset, n);
        return n;
    }

    @Override public void frontEndReady() { readyCalls++; }
    @Override public boolean isConnected() { return true; }
}
