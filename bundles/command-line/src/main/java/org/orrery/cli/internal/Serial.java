package org.orrery.cli.internal;

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

    void configure(Option o) {
        String spec = o.argument();
        if (spec.equals("none")) return;
        if (spec.startsWith("chardev:")) {
            launcher.qomSet(machine, o, "/machine", "serial-chardev", F.textNode(spec.substring("chardev:".length())));
            return;
        }
        boolean withMonitor = spec.startsWith("mon:");
        if (withMonitor) spec = spec.substring(4);
        ObjectNode chardev = chardevFromSpec(o, spec, "serial0");
        if (withMonitor) chardev.put("mux", "on");
        launcher.run(machine, o, "x-chardev-add-opts", chardev);
        if (withMonitor && launcher.hasCommand("human-monitor-add"))
            launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "monitor0").put("chardev", "serial0"));
    }

    void monitor(Option o) {
        String spec = o.argument();
        if (spec.equals("none")) return;
        ObjectNode chardev = chardevFromSpec(o, spec, "compat_monitor0");
        launcher.run(machine, o, "x-chardev-add-opts", chardev);
        launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "hmp0").put("chardev", "compat_monitor0"));
    }

    void mon(Option o) {
        ObjectNode m = launcher.keyval(o, "chardev");
        String mode = m.path("mode").asText("readline");
        String chardev = m.path("chardev").asText();
        if (mode.equals("control")) {
            ObjectNode a = F.objectNode().put("id", "mon-" + chardev).put("chardev", chardev);
            if (m.path("pretty").asText("off").equals("on")) a.put("pretty", "on");
            launcher.run(machine, o, "qmp-chardev-attach", a);
        } else {
            launcher.run(machine, o, "human-monitor-add", F.objectNode().put("id", "mon-" + chardev).put("chardev", chardev));
        }
    }

    /** QEMU's legacy chardev spellings: stdio, null, pty, file:PATH, unix:PATH[,opts], tcp:HOST:PORT[,opts]. */
    private ObjectNode chardevFromSpec(Option o, String spec, String id) {
        ObjectNode c = F.objectNode().put("id", id);
        if (spec.equals("stdio")) {
            if (stdioUsed) throw new CommandLineException(o, "cannot use stdio by multiple character devices");
            stdioUsed = true;
            return c.put("backend", "stdio");
        }
        if (spec.equals("null") || spec.equals("pty")) return c.put("backend", spec);
        if (spec.startsWith("file:")) return c.put("backend", "file").put("path", spec.substring(5));
        if (spec.startsWith("unix:")) {
            ObjectNode opts = launcher.keyval(new Option(o.name(), spec.substring(5)), "path");
            opts.setAll(c);
            return opts.put("backend", "socket");
        }
        if (spec.startsWith("tcp:")) {
            String rest = spec.substring(4);
            int comma = rest.indexOf(',');
            String hostPort = comma < 0 ? rest : rest.substring(0, comma);
            ObjectNode opts = comma < 0 ? F.objectNode() : launcher.keyval(new Option(o.name(), rest.substring(comma + 1)), null);
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) throw new CommandLineException(o, "expected tcp:HOST:PORT");
            opts.put("host", hostPort.substring(0, colon).isEmpty() ? "127.0.0.1" : hostPort.substring(0, colon));
            opts.put("port", hostPort.substring(colon + 1));
            opts.setAll(c);
            return opts.put("backend", "socket");
        }
        throw new CommandLineException(o, "'" + spec + "' is not a valid char driver");
    }
}
