package org.orrery.migration.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.orrery.qom.QomException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * x-bundle-update: updates a bundle of the running container from a jar (or from where it was installed) and
 * refreshes it, as FileInstall does when a newer jar is dropped over the old one; its devices keep their state
 * (see DeviceCarryOver in machine-api). Runs off the machine's safe point: the update pauses the machine itself.
 */
@Component(service = CommandModule.class)
public final class BundleUpdateCommands extends AbstractCommandModule {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BundleUpdateCommands.class.getName());
    private static final long REFRESH_SECONDS = 60;

    @Activate
    public BundleUpdateCommands(BundleContext context) {
        super("bundle-update-schema.json");
        on("x-bundle-update", (a, c) -> {
            Bundle b = find(context, a.str("bundle"));
            String from = a.str("file", null);
            Thread.ofPlatform().name("x-bundle-update " + b.getSymbolicName()).start(() -> update(context, b, from));
            return JsonNodeFactory.instance.objectNode().put("bundle", b.getSymbolicName()).put("id", b.getBundleId());
        });
    }

    private static Bundle find(BundleContext context, String name) {
        for (Bundle b : context.getBundles())
            if (name.equals(b.getSymbolicName()) || name.equals(Long.toString(b.getBundleId()))) {
                if (b.getBundleId() == 0) throw new QomException("The system bundle cannot be updated here");
                if (b.equals(context.getBundle())) throw new QomException("The bundle that runs this command cannot update itself");
                return b;
            }
        throw new QomException("Bundle '" + name + "' not found");
    }

    /** On a thread of its own: the bundle's types go and come back, which needs the machine's safe point. */
    private static void update(BundleContext context, Bundle b, String file) {
        try {
            if (file == null) {
                b.update();
            } else {
                try (InputStream in = Files.newInputStream(Path.of(file))) {
                    b.update(in);
                }
            }
            CountDownLatch refreshed = new CountDownLatch(1);
            context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b), e -> refreshed.countDown());
            refreshed.await(REFRESH_SECONDS, TimeUnit.SECONDS);
        } catch (IOException | BundleException | RuntimeException e) {
            LOG.warning("x-bundle-update of " + b.getSymbolicName() + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
