package org.orrery.launcher;

import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * No thread dies silently: a throwable nothing caught is logged once, in one line, naming the thread.
 * When it is the JVM's own failure (out of memory, stack overflow, an internal error), nothing can be
 * trusted to run on, so the process ends with status 1, as QEMU aborts; otherwise the thread's owner
 * lost only that thread and the container goes on. A stop that does not finish in time is forced.
 */
final class UncaughtFailures implements Thread.UncaughtExceptionHandler {
    private static final Logger LOG = Logger.getLogger("org.orrery.launcher");
    private static final long FORCED_EXIT_AFTER_MILLIS = 10_000;

    private final IntConsumer exit;
    private final IntConsumer halt;

    /** {@code exit} stops the container cleanly; {@code halt} ends the process when that does not happen in time. */
    UncaughtFailures(IntConsumer exit, IntConsumer halt) {
        this.exit = exit;
        this.halt = halt;
    }

    @Override
    public void uncaughtException(Thread thread, Throwable failure) {
        boolean fatal = failure instanceof VirtualMachineError;
        try {
            LOG.log(Level.SEVERE, "thread '" + thread.getName() + "' died" + (fatal ? "; Orrery cannot go on and exits" : ""), failure);
        } catch (Throwable cannotLog) {
            // exiting matters more than the line
        }
        if (!fatal) {
            return;
        }
        try {
            Thread.ofPlatform().daemon(true).name("orrery-forced-exit").start(() -> {
                try {
                    Thread.sleep(FORCED_EXIT_AFTER_MILLIS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                halt.accept(1);
            });
            exit.accept(1);
        } catch (Throwable cannotStopCleanly) {
            halt.accept(1);
        }
    }
}
