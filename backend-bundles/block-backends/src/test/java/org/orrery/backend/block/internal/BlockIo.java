package org.orrery.backend.block.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.machine.backend.BlockBackend;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Waits for BlockBackend completions (which arrive on the machine thread) from a test thread. */
final class BlockIo {
    private BlockIo() { }

    interface Request { void start(BlockBackend.Completion done); }

    static Throwable run(TestMachine m, Request r) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread[] completedOn = new Thread[1];
        r.start(err -> { completedOn[0] = Thread.currentThread(); f.complete(err == null ? new Ok() : err); });
        try {
            Throwable t = f.get(30, TimeUnit.SECONDS);
            if (!m.thread.isThread(completedOn[0])) throw new AssertionError("completion not on the machine thread: " + completedOn[0]);
            return t instanceof Ok ? null : t;
        } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    static void ok(TestMachine m, Request r) {
        Throwable t = run(m, r);
        if (t != null) throw new AssertionError("request failed", t);
    }

    static byte[] read(TestMachine m, BlockBackend b, long offset, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        ok(m, d -> b.read(offset, buf, d));
        return buf.array();
    }

    static void write(TestMachine m, BlockBackend b, long offset, byte[] data) {
        ok(m, d -> b.write(offset, ByteBuffer.wrap(data), d));
    }

    private static final class Ok extends Throwable {
        Ok() { super(null, null, false, false); }
    }
}
