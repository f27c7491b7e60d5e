package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
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
import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Issue 10, removal by bundle: uninstalling (or updating) the plugin while an instance exists unplugs the
 * instance at a safe point with DEVICE_DELETED and takes its command out of query-commands and
 * query-qmp-schema, and the guest runs on; a bundle the board itself needs (the UART's) pauses the machine
 * with a clear reason, and when it comes back the board makes the device again and the machine resumes.
 * The CPU bundle going stops every hart of a four-hart machine; its return makes all four again, each on
 * its own thread, and the new harts take over the old ones' state, so the guest carries on without a reset.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundleRemovalIT {
    private static final String UART = "/machine/soc/serial@10000000";
    private static final String UART_GONE = "device type 'ns16550a' was removed with its bundle; the machine resumes when it comes back";

    @Inject private BundleContext context;
    @Inject private MachineManager machines;
    @Inject private CommandLayer layer;
    @Inject private TypeRegistry types;

    @Configuration
    public Option[] configuration() throws Exception {
        return PluginRig.configuration();
    }

    @Test
    public void uninstallingThePluginUnplugsItsInstanceAndItsCommandGoes() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            Bundle edu = PluginRig.installEdu(context, "itest:removal-uninstall");
            PluginRig.await(() -> rig.hasType("edu-mmio") && rig.hasCommand("edu-query-stats"), "edu-mmio and its command");
            rig.qmp("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"e0\",\"addr\":268500992,\"irq\":20}");
            assertEquals(1, rig.qmp("edu-query-stats", null).size());

            edu.uninstall();
            rig.awaitEvent("DEVICE_DELETED", "\"device\":\"e0\"");
            assertNull(rig.machine.tree().resolve("/machine/peripheral/e0"));
            assertFalse(rig.hasType("edu-mmio"));
            assertFalse("edu-query-stats is still in query-commands", rig.qmp("query-commands", null).toString().contains("edu-query-stats"));
            assertFalse("edu-query-stats is still in query-qmp-schema", rig.qmp("query-qmp-schema", null).toString().contains("edu-query-stats"));
            assertTrue(rig.qmpError("edu-query-stats", null).contains("not been found"));
            // nothing of the old bundle's is mapped any more, and the guest runs on
            assertEquals("running", rig.status());
            rig.ubootAnswers();
        }
    }

    /**
     * An update is not a removal: the machine pauses, the device saves its state with the old code, the new
     * revision's type makes it again at the same path and takes the state, and the guest reads the same registers.
     */
    @Test
    public void updatingThePluginReplacesTheTypeAndKeepsItsDevicesWithTheirState() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            Bundle edu = PluginRig.installEdu(context, "itest:removal-update");
            PluginRig.await(() -> types.find("edu-mmio").isPresent(), "edu-mmio");
            ObjectType before = types.find("edu-mmio").orElseThrow();
            rig.qmp("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"e0\",\"addr\":268500992,\"irq\":20}");
            QObject old = rig.machine.tree().resolve("/machine/peripheral/e0");
            uboot(rig, "mw.l 0x10010004 0x13572468");   // LIVENESS, a stored register: reads back inverted
            uboot(rig, "mw.l 0x10010008 0xa");          // FACT, a field of the device: reads back 10
            assertTrue(rig.tail(), uboot(rig, "md.l 0x10010000 3").contains("10010000: 45440100 eca8db97 0000000a"));
            try (InputStream in = Files.newInputStream(PluginRig.eduJar())) {
                edu.update(in);
            }
            PluginRig.await(() -> types.find("edu-mmio").isPresent() && rig.hasCommand("edu-query-stats"), "edu-mmio back after the update");
            ObjectType after = types.find("edu-mmio").orElseThrow();
            assertNotSame("the type should come from the new revision", before, after);
            PluginRig.await(() -> "running".equals(rig.status()), () -> "the machine to resume; reason " + rig.machine.pauseReason());
            QObject again = rig.machine.tree().resolve("/machine/peripheral/e0");
            assertNotNull("the device is back at its path", again);
            assertNotSame(old, again);
            assertSame(after, again.type());
            assertFalse("an update is not an unplug", rig.hasEvent("DEVICE_DELETED", "e0"));
            assertTrue(rig.tail(), uboot(rig, "md.l 0x10010000 3").contains("10010000: 45440100 eca8db97 0000000a"));
            assertEquals(1, rig.qmp("edu-query-stats", null).size());
            edu.uninstall();
            rig.awaitEvent("DEVICE_DELETED", "\"device\":\"e0\"");
        }
    }

    /**
     * A backend bundle updated under a running guest: the console's chardev is made again at its path by the new
     * code and the UART takes it up, so U-Boot answers on the console (whose client reconnects, as to any socket
     * server that was restarted); nothing is announced as deleted.
     */
    @Test
    public void updatingTheCharBackendsBundleKeepsTheConsoleOfTheRunningGuest() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            QObject before = rig.machine.tree().resolve("/chardevs/serial0");
            bundle("org.orrery.char-backends").update();
            PluginRig.await(() -> rig.machine.tree().resolve("/chardevs/serial0") != null
                    && rig.machine.tree().resolve("/chardevs/serial0") != before && "running".equals(rig.status()),
                    () -> "serial0 made again and the machine running; status " + rig.status() + ", reason " + rig.machine.pauseReason());
            assertEquals("serial0", rig.machine.tree().resolve(UART).getProperty("chardev").asText().replaceAll(".*/", ""));
            assertFalse("an update is not a removal", rig.hasEvent("OBJECT_DELETED", "serial0"));
            rig.reconnectConsole();
            rig.ubootAnswers();
        }
    }

    /** Types a U-Boot command and returns what it printed up to the next prompt. */
    private static String uboot(PluginRig rig, String command) {
        int from = rig.serialText().length();
        rig.type(command + "\r");
        PluginRig.await(() -> rig.serialText().indexOf("=>", from + command.length()) >= 0, () -> "the prompt after '" + command + "': " + rig.tail());
        return rig.serialText().substring(from);
    }

    @Test
    public void theBoardsUartBundleGoingPausesTheMachineAndItsReturnResumesIt() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            Bundle uart = bundle("org.orrery.serial-uart");
            String location = uart.getLocation();
            QObject old = rig.machine.tree().resolve(UART);
            String chardev = old.getProperty("chardev").asText();

            uart.uninstall();
            assertEquals("paused", rig.status());
            assertEquals(UART_GONE, rig.machine.pauseReason());
            rig.awaitEvent("STOP", null);
            rig.awaitEvent("DEVICE_DELETED", "\"path\":\"" + UART + "\"");
            assertNull(rig.machine.tree().resolve(UART));
            assertTrue(rig.qmpError("cont", null).contains("ns16550a"));

            Bundle back = context.installBundle(location);
            back.start();
            PluginRig.await(() -> "running".equals(rig.status()), () -> "the machine to resume; status " + rig.status() + ", reason " + rig.machine.pauseReason());
            rig.awaitEvent("RESUME", null);
            assertNull(rig.machine.pauseReason());
            QObject again = rig.machine.tree().resolve(UART);
            assertNotNull(again);
            assertNotSame(old, again);
            assertTrue(again.isRealized());
            assertEquals(chardev, again.getProperty("chardev").asText());
            assertEquals(10, again.getProperty("irq").asInt());
            rig.ubootAnswers();

            // an update (same type, new revision) goes the same way, without anyone waiting in between
            int resumes = (int) rig.events.stream().filter(e -> e.name().equals("RESUME")).count();
            back.update();
            PluginRig.await(() -> rig.events.stream().filter(e -> e.name().equals("RESUME")).count() > resumes, "RESUME after the update");
            assertEquals("running", rig.status());
            assertNotSame(again, rig.machine.tree().resolve(UART));
            rig.ubootAnswers();
        }
    }

    @Test
    public void theCpuBundleGoingStopsEveryHartAndItsReturnMakesThemAllAgain() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot(4)) {
            com.fasterxml.jackson.databind.JsonNode before = rig.qmp("query-cpus-fast", null);
            assertEquals(before.toString(), 4, before.size());
            Bundle cpu = bundle("org.orrery.riscv-cpu");
            String location = cpu.getLocation();

            String serialText = rig.serialText();
            cpu.uninstall();
            assertEquals("paused", rig.status());
            assertTrue(rig.machine.pauseReason(), rig.machine.pauseReason().contains("was removed with its bundle"));
            rig.awaitEvent("STOP", null);
            assertTrue(rig.qmpError("cont", null).contains("removed with its bundle"));

            Bundle back = context.installBundle(location);
            back.start();
            PluginRig.await(() -> "running".equals(rig.status()), () -> "the machine to resume; status " + rig.status() + ", reason " + rig.machine.pauseReason());
            // every hart made again runs on its own thread (a thread reports its id once it has started)
            PluginRig.await(() -> {
                java.util.Set<Long> threads = new java.util.HashSet<>();
                for (com.fasterxml.jackson.databind.JsonNode c : rig.qmp("query-cpus-fast", null)) threads.add(c.get("thread-id").asLong());
                return threads.size() == 4;
            }, () -> "four CPUs on four threads: " + rig.qmp("query-cpus-fast", null));
            // the new harts take over the old ones' registers: U-Boot answers at its prompt as if nothing happened,
            // without a reset and without booting again
            rig.ubootAnswers();
            assertTrue("no reset: " + rig.events, rig.events.stream().noneMatch(e -> e.name().equals("RESET")));
            assertEquals("the firmware did not start again: " + rig.tail(), -1, rig.serialText().indexOf("OpenSBI", serialText.length()));

            // an update of the CPU bundle (a new revision of its code) goes the same way: the guest carries on
            int resumes = (int) rig.events.stream().filter(e -> e.name().equals("RESUME")).count();
            back.update();
            PluginRig.await(() -> rig.events.stream().filter(e -> e.name().equals("RESUME")).count() > resumes, "RESUME after the update");
            rig.ubootAnswers();
            assertTrue("no reset after the update: " + rig.events, rig.events.stream().noneMatch(e -> e.name().equals("RESET")));
        }
    }

    @Test
    public void aMachineStoppedBeforeTheTypeWentStaysStoppedWhenItComesBack() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer).uboot()) {
            rig.qmp("stop", null);
            Bundle uart = bundle("org.orrery.serial-uart");
            uart.stop();
            assertEquals("paused", rig.status());
            assertEquals(UART_GONE, rig.machine.pauseReason());
            uart.start();
            PluginRig.await(() -> rig.machine.tree().resolve(UART) != null, "the UART to be made again");
            assertEquals("paused", rig.status());
            assertNull(rig.machine.pauseReason());
            rig.qmp("cont", null);
            rig.ubootAnswers();
        }
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) if (symbolicName.equals(b.getSymbolicName())) return b;
        throw new AssertionError(symbolicName + " is not installed");
    }
}
