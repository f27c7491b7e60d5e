package org.orrery.backend.chardev.internal;

import java.io.IOException;

/**
 * A chardev whose output goes to a sink that may block (a socket, a terminal, a pipe, a file): output is
 * queued in a bounded buffer that one writer thread drains, so the machine thread never waits.
 */
abstract class QueuedChardev extends Chardev {
    private ByteQueue out;

    /** Writes all of the bytes to the sink, blocking as needed; throws when the sink is gone. */
    protected abstract void sink(byte[] data, int offset, int length) throws IOException;

    /** Called when the sink failed; the default drops output until the backend reconnects. */
    protected void sinkFailed(IOException e) { }

    /** Starts the writer thread; subclasses call it from {@link #open()}. */
    protected final void startWriter() {
        out = new ByteQueue(BUFFER);
        ByteQueue q = out;
        startThread("out", () -> {
            byte[] buf = new byte[8192];
            try {
                while (true) {
                    int n = q.take(buf, 0);
                    if (n < 0) return;
                    try {
                        sink(buf, 0, n);
                    } catch (IOException e) {
                        if (closing) return;
                        sinkFailed(e);
                    }
                    if (q.size() < q.capacity() / 2) outputDrained();
                }
            } catch (InterruptedException e) {
                // closing
            }
        });
    }

    protected final ByteQueue outputQueue() { return out; }

    @Override protected int output(byte[] data, int offset, int length) {
        ByteQueue q = out;
        if (q == null) return length;
        return q.offer(data, offset, length);
    }

    @Override protected void close() {
        if (out != null) out.close();
    }
}
