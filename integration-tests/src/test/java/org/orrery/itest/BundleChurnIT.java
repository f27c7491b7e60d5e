package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.orrery.command.CommandLayer;
import org.orrery.machine.MachineManager;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Issue 10, churn: the plugin is installed and uninstalled 200 times while U-Boot runs, with an instance
 * plugged in each time. The guest keeps running, threads and heap return to their baseline, and no class
 * loader of any old revision stays reachable.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundleChurnIT {
    private static final int ROUNDS = 200;

    @Inject private BundleContext context;
    @Inject private MachineManager machines;
    @Inject private CommandLayer layer;
    @Inject private TypeRegistry types;

    @Configuration
    public Option[] configuration() throws Exception {
        return PluginRig.configuration();
    }

    @Test
    public void twoHundredInstallsAndUninstallsLeaveNothingBehind() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            // one round first, so lazily created things (SCR's and the registry's) are in the baseline
            round(rig, -1, new ArrayList<>());
            settle();
            int threadsBefore = Thread.activeCount();
            long heapBefore = usedHeapAfterGc();

            List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < ROUNDS; i++) round(rig, i, loaders);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.println("churn: " + ROUNDS + " install/device_add/uninstall rounds in " + millis + " ms");

            assertEquals("running", rig.status());
            rig.ubootAnswers();
            settle();

            // no class loader of an old revision stays reachable
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int alive = countAlive(loaders);
            while (alive > 0 && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(50);
                alive = countAlive(loaders);
            }
            assertEquals(alive + " of " + ROUNDS + " old class loaders are still reachable", 0, alive);

            // threads and heap are back at their baseline
            long threadDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Thread.activeCount() > threadsBefore + 2 && System.nanoTime() < threadDeadline) Thread.sleep(50);
            assertTrue("threads: " + threadsBefore + " before, " + Thread.activeCount() + " after", Thread.activeCount() <= threadsBefore + 2);
            long heapAfter = usedHeapAfterGc();
            System.out.printf("churn: heap %d KiB before, %d KiB after; threads %d before, %d after%n",
                    heapBefore >> 10, heapAfter >> 10, threadsBefore, Thread.activeCount());
            assertTrue("heap grew from " + (heapBefore >> 20) + " MiB to " + (heapAfter >> 20) + " MiB",
                    heapAfter <= heapBefore + (32L << 20));
        }
    }

    private void round(PluginRig rig, int i, List<WeakReference<ClassLoader>> loaders) throws Exception {
        Bundle b = PluginRig.installEdu(context, "itest:churn-" + i);
        loaders.add(new WeakReference<>(b.adapt(BundleWiring.class).getClassLoader()));
        PluginRig.await(() -> types.find("edu-mmio").isPresent() && layer.command("edu-query-stats").isPresent(), "edu-mmio in round " + i);
        rig.qmp("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"e0\",\"addr\":268500992,\"irq\":20}");
        rig.machine.call(() -> { // use it a little: a factorial that is still running when the bundle goes
            rig.machine.systemMemory().write(0x10010000L + 8, 4, 12);
            return null;
        });
        b.uninstall();
        if (rig.machine.tree().resolve("/machine/peripheral/e0") != null) throw new AssertionError("e0 survived its bundle in round " + i);
        if (types.find("edu-mmio").isPresent()) throw new AssertionError("edu-mmio survived its bundle in round " + i);
    }

    /** Lets the framework drop removal-pending revisions. */
    private void settle() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, e -> done.countDown());
        done.await(30, TimeUnit.SECONDS);
    }

    private static int countAlive(List<WeakReference<ClassLoader>> loaders) {
        int n = 0;
        for (WeakReference<ClassLoader> r : loaders) if (r.get() != null) n++;
        return n;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
