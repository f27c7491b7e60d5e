package org.orrery.qmp.server.internal;

import org.orrery.qom.SafePoint;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** A test machine thread: one platform thread that runs every safe-point task, as a machine's would. */
public final class MachineThread implements SafePoint, AutoCloseable {
    private volatile Thread thread;
    private final ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-machine");
        t.setDaemon(true);
        thread = t;
        return t;
    });

    @Override
    public <T> T call(Callable<T> task) {
        if (isCurrentThread()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> f = exec.submit(task);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override public void post(Runnable task) { exec.execute(task); }

    @Override public boolean isCurrentThread() { return Thread.currentThread() == thread; }

    @Override public void close() { exec.shutdownNow(); }
}
