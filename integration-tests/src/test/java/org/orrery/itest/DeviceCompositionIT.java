package org.orrery.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.orrery.command.CommandLayer;
import org.orrery.machine.MachineManager;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.qom.QObject;
import org.orrery.qom.TypeRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Issue 10, the example device and live composition: edu-mmio from the example bundle is a type like any
 * other, the guest program drives it through MMIO, its interrupt and DMA, and device_add from QMP, HMP and
 * Gogo plugs it into a paused or running machine, with its interrupt wired to the PLIC and its node in the
 * device tree of the next boot; device_del takes it out with DEVICE_DELETED.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeviceCompositionIT {
    @Inject private BundleContext context;
    @Inject private MachineManager machines;
    @Inject private CommandLayer layer;
    @Inject private TypeRegistry types;
    @Inject private CommandProcessor gogo;

    @Configuration
    public Option[] configuration() throws Exception {
        return PluginRig.configuration();
    }

    @Before
    public void installTheExampleOnce() throws Exception {
        for (Bundle b : context.getBundles()) if ("com.example.orrery.edu-mmio".equals(b.getSymbolicName())) return;
        PluginRig.installEdu(context, "itest:edu-mmio");
        PluginRig.await(() -> types.find("edu-mmio").isPresent(), "the edu-mmio type");
    }

    @Test
    public void theTypeIsListedWithItsPropertiesBeforeAnyInstance() {
        try (PluginRig rig = new PluginRig(machines, layer)) {
            assertTrue(rig.hasType("edu-mmio"));
            assertEquals("sys-bus-device", types.find("edu-mmio").orElseThrow().parent().name());
            Set<String> props = new HashSet<>();
            for (JsonNode p : rig.qmp("device-list-properties", "{\"typename\":\"edu-mmio\"}")) props.add(p.path("name").asText());
            assertTrue(props.toString(), props.containsAll(Set.of("addr", "irq", "buffer-size")));
            assertTrue(rig.hasCommand("edu-query-stats"));
        }
    }

    @Test
    public void theGuestProgramDrivesEveryFeatureAndTheStatsCountIt() {
        try (PluginRig rig = new PluginRig(machines, layer)) {
            rig.virt("none", PluginRig.eduGuest().toString(), false,
                    "{\"driver\":\"edu-mmio\",\"id\":\"e0\",\"addr\":268500992,\"irq\":20,\"buffer-size\":8192}");
            PluginRig.await(() -> rig.serialText().matches("(?s).*edu-test: (PASS|FAIL).*"), () -> "the guest's verdict: " + rig.tail());
            String out = rig.serialText();
            assertTrue(out, out.contains("edu-test: PASS"));
            assertFalse(out, out.contains("FAIL"));
            rig.awaitEvent("SHUTDOWN", "guest-shutdown");
            JsonNode stats = rig.qmp("edu-query-stats", "{\"id\":\"e0\"}").get(0);
            assertEquals(stats.toString(), 2, stats.path("factorials").asLong());
            assertEquals(stats.toString(), 2, stats.path("dma-transfers").asLong());
            assertEquals(stats.toString(), 512, stats.path("dma-bytes").asLong());
            assertEquals(stats.toString(), 2, stats.path("dma-errors").asLong());
            assertEquals("/machine/peripheral/e0", stats.path("path").asText());
            assertEquals(1, rig.qmp("edu-query-stats", null).size());
            assertTrue(rig.qmpError("edu-query-stats", "{\"id\":\"nope\"}").contains("not found"));
        }
    }

    @Test
    public void deviceAddFromQmpHmpAndGogoWhilePausedAndRunning() throws Exception {
        try (PluginRig rig = new PluginRig(machines, layer)) {
            rig.virt(null, PluginRig.UBOOT, true); // -S: built, not started
            assertEquals("prelaunch", rig.status());
            rig.qmp("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"q0\",\"addr\":268500992,\"irq\":20}");
            rig.qmp("cont", null);
            rig.awaitSerial("Hit any key");
            assertEquals("running", rig.status());
            // HMP, through QMP's human-monitor-command as QEMU's clients send it
            String hmp = rig.qmp("human-monitor-command", "{\"command-line\":\"device_add edu-mmio,id=h0,addr=0x10011000,irq=21\"}").asText();
            assertEquals("", hmp.strip());
            // Gogo
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
            CommandSession session = gogo.createSession(new ByteArrayInputStream(new byte[0]), print, print);
            session.execute("orrery:add edu-mmio id=g0 addr=0x10012000 irq=22");
            session.close();
            rig.qmp("stop", null);
            rig.qmp("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"p0\",\"addr\":268513280,\"irq\":23}");
            rig.qmp("cont", null);

            int[] irqs = {20, 21, 22, 23};
            String[] ids = {"q0", "h0", "g0", "p0"};
            for (int i = 0; i < ids.length; i++) {
                QObject d = rig.machine.tree().resolve("/machine/peripheral/" + ids[i]);
                assertNotNull(ids[i] + " was not created", d);
                assertTrue(ids[i] + " is not realized", d.isRealized());
                assertEquals(irqs[i], rig.qmp("qom-get", "{\"path\":\"" + ids[i] + "\",\"property\":\"irq\"}").asInt());
            }
            assertEquals(4, rig.qmp("edu-query-stats", null).size());
            assertEquals("running", rig.status());

            // the interrupt is wired into the PLIC: a software-raised interrupt shows as pending source 22
            rig.machine.call(() -> {
                var mem = rig.machine.systemMemory();
                mem.write(0x10012000L + 0x2c, 4, 0x80000000L); // IRQ_ENABLE
                mem.write(0x10012000L + 0x24, 4, 0x80000000L); // IRQ_RAISE
                long pending = mem.read(0x0c001000L, 4);
                assertEquals("PLIC pending word " + Long.toHexString(pending), 1L << 22, pending & (1L << 22));
                mem.write(0x10012000L + 0x28, 4, 0x80000000L); // IRQ_ACK
                assertEquals(0, mem.read(0x0c001000L, 4) & (1L << 22));
                return null;
            });

            // the next boot's device tree has a node per device; system_reset rebuilds it
            rig.qmp("system_reset", null);
            FdtNode soc = rig.machine.call(() -> rig.machine.board().buildDeviceTree()).child("soc");
            FdtNode node = soc.child("edu@10012000");
            assertNotNull("no edu@10012000 in /soc: " + soc.children(), node);
            assertEquals("orrery,edu-mmio", node.stringProperty("compatible"));
            assertEquals(22, java.nio.ByteBuffer.wrap(node.property("interrupts")).getInt());

            // device_del: gone, with DEVICE_DELETED, and gone from the next device tree
            rig.qmp("device_del", "{\"id\":\"g0\"}");
            rig.awaitEvent("DEVICE_DELETED", "\"device\":\"g0\"");
            assertNull(rig.machine.tree().resolve("/machine/peripheral/g0"));
            soc = rig.machine.call(() -> rig.machine.board().buildDeviceTree()).child("soc");
            assertNull(soc.child("edu@10012000"));
            assertNotNull(soc.child("edu@10010000"));
            assertEquals(3, rig.qmp("edu-query-stats", null).size());
            // the guest kept running through all of it
            rig.ubootAnswers();
            assertEquals("running", rig.status());
        }
    }

    @Test
    public void badPlacementsAreClearErrorsAndLeaveNothingBehind() {
        try (PluginRig rig = new PluginRig(machines, layer)) {
            rig.virt(null, PluginRig.UBOOT, true);
            String overlap = rig.qmpError("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"x\",\"addr\":268435456}");
            assertTrue(overlap, overlap.contains("overlaps"));
            assertNull(rig.machine.tree().resolve("/machine/peripheral/x"));
            String size = rig.qmpError("device_add", "{\"driver\":\"edu-mmio\",\"id\":\"y\",\"addr\":268500992,\"buffer-size\":0}");
            assertTrue(size, size.contains("buffer-size"));
            assertNull(rig.machine.tree().resolve("/machine/peripheral/y"));
        }
    }
}
