package org.orrery.machine.testing;

import org.orrery.qom.SafePoint;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A machine thread for tests: one daemon thread runs every safe-point task, as a machine's would. */
public final class MachineThread implements SafePoint, AutoCloseable {
    private volatile Thread thread;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-machine");
        t.setDaemon(true);
        thread = t;
        return t;
    });

    @Override public <T> T call(Callable<T> task) {
        if (isCurrentThread()) return SafePoint.runHere(task);
        try {
            return executor.submit(task).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error er) throw er;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override public void post(Runnable task) { if (!executor.isShutdown()) executor.execute(task); }

    @Override public boolean isCurrentThread() { return Thread.currentThread() == thread; }

    /** Whether {@code t} is this machine thread. */
    public boolean isThread(Thread t) { return t == thread; }

    /** Lets queued tasks finish (five seconds at most), then stops the thread. */
    @Override public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
