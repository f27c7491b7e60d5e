package org.orrery.launcher;

import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;

/**
 * The exit-status service: registered in the system bundle's context as
 * {@link IntConsumer} with {@code orrery.exit=true}. A bundle that calls
 * {@code accept(status)} makes the container stop cleanly and the JVM exit with that status.
 * It is a JDK type so that no bundle needs to import anything of the launcher's.
 */
final class ExitRequest implements IntConsumer {
    static final String SERVICE_PROPERTY = "orrery.exit";

    private final Framework framework;
    private final AtomicReference<Integer> requestedStatus = new AtomicReference<>();

    ExitRequest(Framework framework) {
        this.framework = framework;
    }

    @Override
    public void accept(int status) {
        // The first request wins: a second caller racing the shutdown must not change the status.
        if (requestedStatus.compareAndSet(null, status)) {
            try {
                // Stopping the system bundle returns at once and stops the framework on its own
                // thread, so this is safe to call from a bundle's thread.
                framework.stop();
            } catch (BundleException e) {
                System.err.println("orrery: cannot stop the framework: " + e.getMessage());
            }
        }
    }

    OptionalInt requestedStatus() {
        Integer status = requestedStatus.get();
        return status == null ? OptionalInt.empty() : OptionalInt.of(status);
    }
}
