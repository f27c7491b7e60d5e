package org.orrery.itest;

import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.ops4j.pax.exam.Option;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.qom.Event;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * What the plugin tests (issue 10) share. On the JUnit side: the distribution's bundle set booted by Pax
 * Exam, with the example's jar and guest program built and their paths handed to the probe. On the probe
 * side: a machine driven through the command layer exactly as QMP drives it, its events, and its serial
 * console on a ring buffer.
 */
final class PluginRig implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
    /** Deadlines, not sleeps: generous for a loaded CI machine, and every wait returns as soon as it can. */
    static final Duration DEADLINE = Duration.ofSeconds(60);

    // ---- JUnit side ----

    static Option[] configuration() throws IOException, InterruptedException {
        Path jar = ThirdPartyExample.build();
        return org.ops4j.pax.exam.OptionUtils.combine(PaxDistribution.options(),
                systemProperty("orrery.itest.edu.jar").value(jar.toString()),
                systemProperty("orrery.itest.edu.guest").value(ThirdPartyExample.guest().toString()));
    }

    // ---- probe side ----

    static Path eduJar() { return Path.of(System.getProperty("orrery.itest.edu.jar")); }

    static Path eduGuest() { return Path.of(System.getProperty("orrery.itest.edu.guest")); }

    /** Installs and starts the example bundle from its jar, under a location of the caller's choice. */
    static Bundle installEdu(BundleContext context, String location) throws IOException, BundleException {
        try (InputStream in = Files.newInputStream(eduJar())) {
            Bundle b = context.installBundle(location, in);
            b.start();
            return b;
        }
    }

    final MachineManager machines;
    final CommandLayer layer;
    final Machine machine;
    final List<Event> events = new CopyOnWriteArrayList<>();
    /** The serial console: a unix-socket chardev this rig is the client of (ringbuf-write would not reach the guest). */
    private final StringBuffer serial = new StringBuffer();
    private java.nio.channels.SocketChannel console;

    PluginRig(MachineManager machines, CommandLayer layer) {
        this.machines = machines;
        this.layer = layer;
        // Gogo's orrery: commands pick the machine named "main"
        this.machine = machines.create("main");
        machine.tree().events().subscribe(events::add);
    }

    /** A virt machine whose serial port is a ring buffer; {@code firmware} "none" with a kernel ELF, or null for OpenSBI. */
    PluginRig virt(String firmware, String kernel, boolean startPaused, String... devices) {
        return virt(1, firmware, kernel, startPaused, devices);
    }

    /** As {@link #virt(String, String, boolean, String...)} with {@code harts} harts (-smp). */
    PluginRig virt(int harts, String firmware, String kernel, boolean startPaused, String... devices) {
        connectConsole();
        qmp("x-machine-options", "{\"start-paused\":" + startPaused + ",\"no-shutdown\":true}");
        qmp("x-machine-init", "{\"type\":\"virt\"}");
        if (harts != 1) qomSet("/machine", "smp", harts);
        if (firmware != null) qomSet("/machine", "firmware", firmware);
        qomSet("/machine", "kernel", kernel);
        for (String d : devices) qmp("device_add", d);
        qmp("x-exit-preconfig", null);
        return this;
    }

    private Path consoleSocket;

    private void connectConsole() {
        try {
            consoleSocket = Files.createTempDirectory("orrery-itest-serial").resolve("serial.sock");
            qmp("chardev-add", "{\"id\":\"serial0\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\",\"data\":{\"path\":\""
                    + consoleSocket + "\"}},\"server\":true,\"wait\":false}}}");
            attachConsole();
        } catch (IOException e) {
            throw new AssertionError("cannot connect to the serial console", e);
        }
    }

    /** Connects to the console's socket again (its chardev was made anew: a server socket drops its clients). */
    void reconnectConsole() {
        try {
            console.close();
            attachConsole();
        } catch (IOException e) {
            throw new AssertionError("cannot reconnect to the serial console", e);
        }
    }

    private void attachConsole() throws IOException {
        console = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(consoleSocket));
        java.nio.channels.SocketChannel ch = console;
        Thread reader = new Thread(() -> {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(8192);
            try {
                while (ch.read(buffer) >= 0) {
                    buffer.flip();
                    serial.append(java.nio.charset.StandardCharsets.ISO_8859_1.decode(buffer));
                    buffer.clear();
                }
            } catch (IOException closed) {
                // the machine or the test closed the console
            }
        }, "itest-serial");
        reader.setDaemon(true);
        reader.start();
    }

    /** Types {@code text} on the serial console. */
    void type(String text) {
        try {
            console.write(java.nio.ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        } catch (IOException e) {
            throw new AssertionError("cannot write to the serial console", e);
        }
    }

    /** U-Boot on OpenSBI, stopped at its prompt. */
    PluginRig uboot() {
        return uboot(1);
    }

    /** As {@link #uboot()} on {@code harts} harts. */
    PluginRig uboot(int harts) {
        virt(harts, null, UBOOT, false);
        awaitSerial("Hit any key");
        type("\r");
        awaitSerial("=>");
        return this;
    }

    /** Asks U-Boot for its version and waits for the answer: proof the guest runs and its UART works. */
    void ubootAnswers() {
        int from = serialText().length();
        type("version\r");
        await(() -> serialText().indexOf("U-Boot 20", from) >= 0, () -> "U-Boot to answer 'version' (serial so far: " + tail() + ")");
    }

    JsonNode qmp(String command, String arguments) {
        try {
            Value args = arguments == null ? null : Value.ofJson("arguments", JSON.readTree(arguments));
            return layer.execute(machine.tree(), command, args, Session.INTERNAL);
        } catch (IOException e) {
            throw new IllegalArgumentException(arguments, e);
        }
    }

    /** The QMP error text of a command that must fail. */
    String qmpError(String command, String arguments) {
        try {
            qmp(command, arguments);
        } catch (QomException e) {
            return e.getMessage();
        }
        throw new AssertionError(command + " " + arguments + " succeeded but should have failed");
    }

    void qomSet(String path, String property, Object value) {
        ObjectNode a = JSON.createObjectNode().put("path", path).put("property", property);
        a.set("value", JSON.valueToTree(value));
        layer.execute(machine.tree(), "qom-set", Value.ofJson("arguments", a), Session.INTERNAL);
    }

    String status() { return qmp("query-status", null).path("status").asText(); }

    boolean hasType(String name) {
        for (JsonNode t : qmp("qom-list-types", "{\"abstract\":true}")) if (t.path("name").asText().equals(name)) return true;
        return false;
    }

    boolean hasCommand(String name) {
        return layer.command(name).isPresent() && layer.introspect().toString().contains("\"" + name + "\"");
    }

    String serialText() {
        return serial.toString();
    }

    String tail() {
        String s = serialText();
        return s.substring(Math.max(0, s.length() - 400));
    }

    void awaitSerial(String text) {
        await(() -> serialText().contains(text), () -> "'" + text + "' on the serial console (so far: " + tail() + ")");
    }

    boolean hasEvent(String name, String dataFragment) {
        for (Event e : events)
            if (e.name().equals(name) && (dataFragment == null || String.valueOf(e.data()).contains(dataFragment))) return true;
        return false;
    }

    void awaitEvent(String name, String dataFragment) {
        await(() -> hasEvent(name, dataFragment), () -> "event " + name + " " + (dataFragment == null ? "" : dataFragment) + "; events: " + events);
    }

    static void await(BooleanSupplier condition, String what) {
        await(condition, () -> what);
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what.get());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what.get());
            }
        }
    }

    @Override public void close() {
        machines.destroy(machine);
        try {
            if (console != null) console.close();
        } catch (IOException ignored) {
            // already closed by the machine
        }
    }
}
