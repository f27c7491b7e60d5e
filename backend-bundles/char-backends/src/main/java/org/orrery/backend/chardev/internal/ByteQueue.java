package org.orrery.backend.chardev.internal;

/**
 * A bounded byte FIFO shared by one producer and one consumer thread: {@link #offer} never blocks and
 * returns what fit (back-pressure); {@link #take} blocks until bytes arrive or the queue is closed.
 */
final class ByteQueue {
    private final byte[] buf;
    private int head;
    private int count;
    private boolean closed;
    private long lastTakeNanos = System.nanoTime();

    ByteQueue(int capacity) { buf = new byte[capacity]; }

    int capacity() { return buf.length; }

    synchronized int size() { return count; }

    synchronized int free() { return buf.length - count; }

    /** Appends as much of the data as fits; returns how many bytes were taken. */
    synchronized int offer(byte[] data, int off, int len) {
        if (closed) return 0;
        int n = Math.min(len, buf.length - count);
        int tail = (head + count) % buf.length;
        int first = Math.min(n, buf.length - tail);
        System.arraycopy(data, off, buf, tail, first);
        System.arraycopy(data, off + first, buf, 0, n - first);
        if (count == 0 && n > 0) lastTakeNanos = System.nanoTime();
        count += n;
        if (n > 0) notifyAll();
        return n;
    }

    /** Waits up to {@code timeoutMillis} (0: forever) for bytes; returns how many were copied, or -1 once closed and empty. */
    synchronized int take(byte[] dst, long timeoutMillis) throws InterruptedException {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000 : 0;
        while (count == 0 && !closed) {
            if (deadline == 0) wait();
            else {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) return 0;
                wait(left);
            }
        }
        if (count == 0) return -1;
        int n = Math.min(dst.length, count);
        int first = Math.min(n, buf.length - head);
        System.arraycopy(buf, head, dst, 0, first);
        System.arraycopy(buf, 0, dst, first, n - first);
        head = (head + n) % buf.length;
        count -= n;
        lastTakeNanos = System.nanoTime();
        notifyAll();
        return n;
    }

    /** Copies up to {@code dst.length} bytes without waiting. */
    synchronized int poll(byte[] dst, int max) {
        int n = Math.min(Math.min(dst.length, max), count);
        int first = Math.min(n, buf.length - head);
        System.arraycopy(buf, head, dst, 0, first);
        System.arraycopy(buf, 0, dst, first, n - first);
        head = (head + n) % buf.length;
        count -= n;
        if (n > 0) notifyAll();
        return n;
    }

    /** Waits while the queue holds at least {@code level} bytes; false once closed. */
    synchronized boolean awaitBelow(int level) throws InterruptedException {
        while (count >= level && !closed) wait(200);
        return !closed;
    }

    /** True when bytes have waited longer than {@code millis} with nobody taking any. */
    synchronized boolean stalledFor(long millis) {
        return count > 0 && System.nanoTime() - lastTakeNanos > millis * 1_000_000;
    }

    synchronized void clear() { head = 0; count = 0; notifyAll(); }

    synchronized void close() { closed = true; notifyAll(); }

    synchronized boolean isClosed() { return closed; }
}
