package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** A front-end that records what it receives, with an adjustable receive window. */
final class TestFrontEnd implements CharFrontEnd {
    final ByteArrayOutputStream got = new ByteArrayOutputStream();
    final List<CharEvent> events = new CopyOnWriteArrayList<>();
    volatile int window = Integer.MAX_VALUE;
    volatile int outputReadyCalls;
    Runnable onOutputReady;

    @Override public int canReceive() { return window; }

    @Override public synchronized void receive(byte[] data, int offset, int length) {
        if (length > window) throw new AssertionError("given " + length + " bytes, more than the window of " + window);
        got.write(data, offset, length);
        if (window != Integer.MAX_VALUE) window -= length; // a FIFO that fills up
    }

    @Override public void event(CharEvent event) { events.add(event); }

    @Override public void outputReady() {
        outputReadyCalls++;
        if (onOutputReady != null) onOutputReady.run();
    }

    synchronized String text() { return got.toString(StandardCharsets.ISO_8859_1); }

    synchronized int size() { return got.size(); }

    static void await(String what, BooleanSupplier condition) {
        long end = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            try { Thread.sleep(5); } catch (InterruptedException e) { throw new AssertionError(e); }
        }
    }

    static int write(TestMachine m, CharBackend b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        return m.call(() -> b.write(bytes, 0, bytes.length));
    }
}
