package org.orrery.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.machine.Machine;

/**
 * QEMU's shorthands for where the serial port and the human monitor go ("-serial mon:stdio",
 * "-monitor stdio", "-serial unix:/tmp/s,server=on"), expanded into chardevs and monitors.
 */
final class Serial {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final MachineLauncher launcher;
    private final Machine machine;
    private boolean stdioUsed;

    Serial(MachineLauncher launcher, Machine machine) {
        this.launcher = launcher;
        this.machine = machine;
    }

    void configure(Option o) { configure(o, 0); }

    /**
     * The {@code index}th -serial: the board has one UART, which takes the first; later ones are opened
     * all the same (as QEMU opens them), so a wrong one is refused rather than ignored.
     */
    void configure(Option o, int index) {
        String spec = o.argument();
        if (spec.equals("none")) return;
        if (index > 0) {
            if (spec.startsWith("chardev:")) return;
            checkStdio(o, spec);
            launcher.execute(o, machine, "x-chardev-add-legacy", F.objectNode().put("id", "serial" + index).put("filename", spec));
            return;
        }
        if (spec.startsWith("chardev:")) {
            launcher.qomSet(machine, o, "/machine", "serial-chardev", F.textNode(spec.substring("chardev:".length())));
            return;
        }
        checkStdio(o, spec);
        JsonNode r = launcher.execute(o, machine, "x-chardev-add-legacy", F.objectNode().put("id", "serial0").put("filename", spec));
        // the monitor attaches before the UART (at board realize), so the UART gets the focus first, as in QEMU
        if (r.path("monitor").asBoolean(false) && launcher.hasCommand("human-monitor-add"))
            launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "monitor0").put("chardev", "serial0"));
    }

    void monitor(Option o) {
        String spec = o.argument();
        if (spec.equals("none")) return;
        checkStdio(o, spec);
        launcher.execute(o, machine, "x-chardev-add-legacy", F.objectNode().put("id", "compat_monitor0").put("filename", spec));
        launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "hmp0").put("chardev", "compat_monitor0"));
    }

    private void checkStdio(Option o, String spec) {
        if (spec.equals("stdio") || spec.equals("mon:stdio")) {
            if (stdioUsed) throw new CommandLineException(o, "cannot use stdio by multiple character devices");
            stdioUsed = true;
        }
    }

    void mon(Option o) {
        ObjectNode m = launcher.keyval(o, "chardev");
        String mode = m.path("mode").asText("readline");
        String chardev = m.path("chardev").asText();
        if (mode.equals("control")) throw new CommandLineException(o, "mode=control needs a socket chardev defined with -chardev");
        launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "mon-" + chardev).put("chardev", chardev));
    }
}
