package org.orrery.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orrery.qmp.client.QmpClient;
import org.orrery.qmp.client.QmpException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user writes it: QEMU's command lines, the saved-machine round trip, bad input. */
@Tag("e2e")
class CommandLineE2ETest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    @TempDir Path tmp;

    private Path disk() throws Exception {
        Path img = tmp.resolve("disk.img");
        Files.write(img, new byte[4 << 20]);
        return img;
    }

    /** Every object's path, type and non-child property values, read over QMP. */
    static TreeMap<String, String> dump(QmpClient q) {
        TreeMap<String, String> out = new TreeMap<>();
        walk(q, "/", out);
        return out;
    }

    private static void walk(QmpClient q, String path, TreeMap<String, String> out) {
        JsonNode props = q.call("qom-list", F.objectNode().put("path", path));
        for (JsonNode p : props) {
            String name = p.get("name").asText(), type = p.get("type").asText();
            String child = path.equals("/") ? "/" + name : path + "/" + name;
            if (type.startsWith("child<")) {
                walk(q, child, out);
                continue;
            }
            String value;
            try {
                value = q.call("qom-get", F.objectNode().put("path", path).put("property", name)).toString();
            } catch (QmpException e) {
                value = "error: " + e.getMessage();
            }
            out.put(path + "." + name + " : " + type, value);
        }
    }

    @Test void qemuDocumentationCommandLineBuildsTheSameObjects() throws Exception {
        // the virt example of QEMU's RISC-V documentation, with one hart and a disk
        Path sock = tmp.resolve("q.sock");
        Path img = disk();
        try (Orrery o = Orrery.start(List.of("-M", "virt", "-smp", "1", "-m", "256M", "-display", "none", "-serial", "null",
                "-bios", "default", "-kernel", Orrery.UBOOT_SMODE.toString(), "-S",
                "-drive", "file=" + img + ",format=raw,id=hd0,if=none", "-device", "virtio-blk-device,drive=hd0",
                "-device", "virtio-rng-device", "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            assertEquals("virt-machine", q.call("qom-get", F.objectNode().put("path", "/machine").put("property", "type")).asText());
            assertEquals(256L << 20, q.call("qom-get", F.objectNode().put("path", "/machine").put("property", "ram-size")).asLong());
            TreeMap<String, String> tree = dump(q);
            assertTrue(tree.keySet().stream().anyMatch(k -> k.startsWith("/machine/peripheral-anon/device[0].drive")), tree.keySet().toString());
            assertTrue(tree.values().contains("\"/blockdevs/hd0\""), "the disk links to the drive");
            assertTrue(tree.keySet().stream().anyMatch(k -> k.startsWith("/machine/soc0/harts[0].")), "one hart");
            assertEquals("prelaunch", q.call("query-status").get("status").asText());
        }
    }

    @Test void aSavedMachineRestartsAsTheSameTree() throws Exception {
        Path sock1 = tmp.resolve("a.sock"), sock2 = tmp.resolve("b.sock"), monitor = tmp.resolve("mon.sock");
        Path saved = tmp.resolve("machine.json");
        Path img = disk();
        TreeMap<String, String> first;
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-nographic", "-S", "-serial", "null",
                "-drive", "file=" + img + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0,id=disk0",
                "-chardev", "socket,id=mon0,path=" + monitor + ",server=on,wait=off", "-mon", "chardev=mon0,mode=readline",
                "-object", "memory-backend-ram,id=spare,size=1M",
                "-qmp", "unix:" + sock1 + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock1)) {
            q.call("device_add", F.objectNode().put("driver", "virtio-rng-device").put("id", "rng0"));
            q.call("object-add", F.objectNode().put("qom-type", "memory-backend-ram").put("id", "late").put("size", 2 << 20));
            q.call("object-add", F.objectNode().put("qom-type", "rng-builtin").put("id", "gone"));
            q.call("object-del", F.objectNode().put("id", "gone"));
            first = dump(q);
            q.call("x-config-save", F.objectNode().put("filename", saved.toString()));
        }
        String text = Files.readString(saved);
        assertTrue(text.contains("virtio-rng-device") && text.contains("mon0") && text.contains("late"), text);
        assertFalse(text.contains("\"gone\""), "a deleted object is not saved");
        // the saved file names the first QMP socket; the restarted machine adds its own as well
        try (Orrery o = Orrery.start(List.of("-readconfig", saved.toString(), "-qmp", "unix:" + sock2 + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock2)) {
            TreeMap<String, String> second = dump(q);
            assertEquals(first, second);
        }
    }

    @Test void publishedCommandLinesWithPciDevicesGlobalsAndBusesBuildQemusMachine() throws Exception {
        Path sock = tmp.resolve("p.sock");
        Path img = disk(), img2 = tmp.resolve("second.img");
        Files.write(img2, new byte[1 << 20]);
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-accel", "tcg,thread=multi", "-rtc", "base=utc,clock=host",
                "-cpu", "rv64,sstc=off", "-name", "guest1", "-m", "256M", "-nographic", "-serial", "null", "-S",
                "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-rng-pci",
                "-drive", "file=" + img + ",format=raw,if=virtio",
                "-drive", "file=" + img2 + ",format=raw,if=none,id=x0", "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0,id=first",
                "-qmp", "unix:" + sock + ",server=on,wait=off"));
             QmpClient q = o.qmp(sock)) {
            JsonNode functions = q.call("query-pci").get(0).get("devices");
            List<String> found = new ArrayList<>();
            for (JsonNode f : functions)
                found.add(f.get("slot").asInt() + " " + Integer.toHexString(f.get("id").get("vendor").asInt()) + ":" + Integer.toHexString(f.get("id").get("device").asInt()));
            assertEquals(List.of("0 1b36:8", "1 1af4:1005", "2 1af4:1001"), found, "host bridge, then -device, then the if=virtio disk, as on QEMU");
            assertEquals("/machine/soc/virtio_mmio@10001000",
                    q.call("qom-get", F.objectNode().put("path", "/machine/peripheral/first").put("property", "transport")).asText());
            assertFalse(q.call("qom-get", F.objectNode().put("path", "/machine/soc0/harts[0]").put("property", "sstc")).asBoolean(),
                    "-cpu rv64,sstc=off");
            assertEquals("guest1", q.call("query-name").get("name").asText());
            String pci = q.call("human-monitor-command", F.objectNode().put("command-line", "info pci")).asText();
            assertTrue(pci.contains("SCSI controller: PCI device 1af4:1001"), pci);
            String qtree = q.call("human-monitor-command", F.objectNode().put("command-line", "info qtree")).asText();
            assertTrue(qtree.contains("bus: pcie.0") && qtree.contains("dev: virtio-blk-pci") && qtree.contains("bus: virtio-mmio-bus.0"), qtree);
        }
        List<String> virt = List.of("-machine", "virt", "-S", "-nographic", "-serial", "null");
        assertFailsClearly(cat(virt, List.of("-device", "virtio-blk-device,bus=no-such-bus.0")),
                "-device virtio-blk-device,bus=no-such-bus.0: Bus 'no-such-bus.0' not found");
        assertFailsClearly(cat(virt, List.of("-cpu", "rv64,v=on")), "can't apply global rv64.v=on: Property 'rv64.v' not found");
        assertFailsClearly(cat(virt, List.of("-device", "virtio-rng-pci,addr=0")),
                "PCI: slot 0 function 0 not available for virtio-rng-pci, in use by gpex-root,id=(null)");
        assertFailsClearly(cat(virt, List.of("-enable-kvm")), "-enable-kvm: not supported: there is no KVM");
    }

    private static void assertFailsClearly(List<String> args, String expected) throws Exception {
        Orrery o = Orrery.run(args, Duration.ofSeconds(90));
        assertEquals(1, o.exitStatus(), o.output());
        String[] lines = o.output().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("orrery: ") && last.contains(expected), "expected one clear line with '" + expected + "', got:\n" + o.output());
    }

    @Test void badInputIsOneClearLineAndTouchesNoDiskImage() throws Exception {
        Path img = disk();
        byte[] before = Files.readAllBytes(img);
        long stamp = Files.getLastModifiedTime(img).toMillis();
        List<String> disk = List.of("-drive", "file=" + img + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0");
        assertFailsClearly(List.of("-machine", "virt", "-frobnicate"), "-frobnicate: invalid option");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S"), disk, List.of("-device", "virtio-rng-device,=x")), "-device virtio-rng-device,=x");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S", "-m", "64Q"), disk), "-m 64Q");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S", "-m", "32E"), disk), "too large");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S"), disk, List.of("-chardev", "ringbuf,id=r,size=-5")), "-chardev ringbuf,id=r,size=-5");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S"), disk, List.of("-device", "no-such-device")), "'no-such-device' is not a valid device model name");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S"), disk, List.of("-device", "virtio-rng-device,colour=red")), "colour");
        assertFailsClearly(cat(List.of("-machine", "virt", "-S"), disk, List.of("-device", "virtio-rng-device,id=x", "-device", "virtio-rng-device,id=x")), "Duplicate ID 'x'");
        assertFailsClearly(List.of("-machine", "virt", "-smp", "cpus=4,cores=3"), "-smp cpus=4,cores=3: Invalid CPU topology");
        assertFailsClearly(List.of("-machine", "virt", "-smp", "600"), "The max CPUs supported by machine 'virt' is 512");
        assertArrayEquals(before, Files.readAllBytes(img), "nothing was written to the disk image");
        assertEquals(stamp, Files.getLastModifiedTime(img).toMillis());
        assertFalse(Files.exists(tmp.resolve("q.sock")));
    }

    @Test void guestErrorsAreLoggedOncePerSiteWhenAsked() throws Exception {
        Path log = tmp.resolve("guest.log");
        // OpenSBI programs the PLIC priority of source 96, one past what the PLIC has, as on QEMU
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null",
                "-d", "guest_errors,unimp", "-D", log.toString()))) {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while ((!Files.exists(log) || !Files.readString(log).contains("plic")) && System.nanoTime() < deadline) Thread.sleep(100);
            Thread.sleep(2000);
            String text = Files.readString(log);
            List<String> plic = text.lines().filter(l -> l.contains("plic")).toList();
            assertFalse(plic.isEmpty(), "a PLIC guest error is logged: " + text + "\n" + o.output());
            assertEquals(plic.size(), plic.stream().distinct().count(), "each site once, not once per access:\n" + text);
        }
        Orrery quiet = Orrery.run(List.of("-machine", "virt", "-m", "128M", "-nographic", "-serial", "null", "-S", "-d", "help"), Duration.ofSeconds(60));
        assertEquals(0, quiet.exitStatus());
        assertTrue(quiet.output().contains("guest_errors") && quiet.output().contains("unimp"), quiet.output());
        assertFailsClearly(List.of("-machine", "virt", "-d", "everything"), "Invalid -d option: everything");
    }

    @SafeVarargs
    private static List<String> cat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out;
    }
}
