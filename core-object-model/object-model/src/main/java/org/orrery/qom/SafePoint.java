package org.orrery.qom;

import java.util.concurrent.Callable;

/**
 * Where work on a machine's objects runs: its machine thread, between guest blocks. Front-ends and
 * backend threads post to it; code already on it runs inline.
 */
public interface SafePoint {
    /** Runs {@code task} at the next safe point and waits for its result; exceptions pass through. */
    <T> T call(Callable<T> task);

    /**
     * Runs {@code task} with the machine's lock held while its harts go on executing guest code, and waits for
     * its result: for work that only reads, or changes only what harts reach under the lock (devices). Harts
     * touch devices only under that lock, so a device is consistent here; a hart's own registers are not.
     * By default the same as {@link #call}.
     */
    default <T> T callWhileRunning(Callable<T> task) { return call(task); }

    /** Runs {@code task} at the next safe point without waiting. */
    void post(Runnable task);

    boolean isCurrentThread();

    /** For trees that are not attached to a running machine (tests, tools): runs everything inline. */
    static SafePoint inline() {
        return new SafePoint() {
            public <T> T call(Callable<T> task) { return runHere(task); }

            public void post(Runnable task) { task.run(); }

            public boolean isCurrentThread() { return true; }
        };
    }

    /**
     * Runs {@code task} on the calling thread, as a safe point does once it is there: unchecked exceptions
     * pass through, checked ones are wrapped in {@link IllegalStateException}.
     */
    static <T> T runHere(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
