package org.orrery.backend.net.internal;

import org.orrery.machine.backend.NetBackend;
import org.orrery.machine.backend.NetFrontEnd;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayDeque;

/**
 * The abstract {@code netdev}: a network backend at {@code /netdevs/ID}. What every backend shares is the
 * queue of frames for the guest: backend threads {@link #deliver} into it (bounded; a full queue refuses, so
 * TCP stops reading its host sockets and UDP drops), and a pump posted to the machine thread hands frames to
 * the NIC while it has receive buffers; the NIC's {@link #frontEndReady()} resumes it. While the link is down
 * frames for the guest are dropped, as QEMU drops them.
 */
abstract class Netdev extends QObject implements NetBackend {
    /** Frames held for the guest at most. */
    static final int QUEUE_LIMIT = 1024;
    /** Below this many held frames the backend may produce more (read its host sockets). */
    static final int ROOM = 256;

    /** Something that sees every frame (filter-dump). Called on the machine thread and the backend's threads. */
    interface FrameTap {
        void frame(byte[] frame, int offset, int length, boolean toGuest);
    }

    private final java.util.List<FrameTap> taps = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
    private boolean pumpScheduled;
    private volatile boolean linkUp = true;
    private NetFrontEnd frontEnd;

    /** The kind as {@code -netdev} names it (user, ...). */
    abstract String kind();

    /** QEMU's one-line description for {@code info network}. */
    abstract String info();

    /** A frame from the guest, on the machine thread; the backend copies it. */
    abstract void fromGuest(byte[] frame, int offset, int length);

    /** The queue to the guest has room again after it was full. */
    abstract void roomAgain();

    NetFrontEnd frontEnd() { return frontEnd; }

    // ---- NetBackend, on the machine thread ----

    @Override public void attach(NetFrontEnd fe) {
        if (frontEnd != null && frontEnd != fe)
            throw new QomException("Property 'netdev' can't take value '" + name() + "', it's in use");
        if (!isRealized()) throw new QomException("Netdev '" + name() + "' is not open");
        frontEnd = fe;
        pump();
    }

    @Override public void detach(NetFrontEnd fe) {
        if (frontEnd == fe) frontEnd = null;
    }

    @Override public void send(byte[] frame, int offset, int length) {
        if (!linkUp || !isRealized()) return;
        for (FrameTap t : taps) t.frame(frame, offset, length, false);
        fromGuest(frame, offset, length);
    }

    void addTap(FrameTap t) { taps.add(t); }

    void removeTap(FrameTap t) { taps.remove(t); }

    @Override public void frontEndReady() { pump(); }

    @Override public void linkChanged(boolean up) {
        linkUp = up;
        if (!up) {
            synchronized (lock) { toGuest.clear(); }
            roomAgain();
        }
    }

    // ---- the queue to the guest ----

    /**
     * Queues a frame for the guest; false when the queue is full or the link is down. From a backend thread a
     * pump is posted to the machine thread; from a thread that holds the machine lock (a frame answered at once
     * while the NIC transmits) the frame goes to the NIC straight away.
     */
    final boolean deliver(byte[] frame) {
        if (!linkUp) return false;
        boolean direct = tree().safePoint().isCurrentThread();
        synchronized (lock) {
            if (toGuest.size() >= QUEUE_LIMIT) return false;
            for (FrameTap t : taps) t.frame(frame, 0, frame.length, true);
            toGuest.add(frame);
            if (!direct) {
                if (pumpScheduled) return true;
                pumpScheduled = true;
            }
        }
        if (direct) {
            pump();
            return true;
        }
        try {
            tree().safePoint().post(this::pump);
        } catch (RuntimeException e) {
            // the machine is going away: nobody is left to deliver to
        }
        return true;
    }

    final boolean hasRoom() {
        synchronized (lock) { return toGuest.size() < ROOM; }
    }

    final int queued() {
        synchronized (lock) { return toGuest.size(); }
    }

    private void pump() {
        int before;
        synchronized (lock) {
            pumpScheduled = false;
            before = toGuest.size();
        }
        NetFrontEnd fe = frontEnd;
        if (fe == null || before == 0) return;
        int after = before;
        while (frontEnd == fe && fe.canReceive()) {
            byte[] f;
            synchronized (lock) {
                f = toGuest.poll();
                after = toGuest.size();
            }
            if (f == null) break;
            fe.receive(f, 0, f.length);
        }
        if (before >= ROOM && after < ROOM) roomAgain();
    }
}
