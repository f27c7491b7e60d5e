package org.orrery.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The options Orrery understands, QEMU's spelling, and whether each takes an argument. */
final class OptionTable {
    private static final Map<String, Boolean> TAKES_ARGUMENT = Map.ofEntries(
            Map.entry("log-level", true), Map.entry("machine", true), Map.entry("M", true), Map.entry("cpu", true), Map.entry("m", true),
            Map.entry("smp", true), Map.entry("bios", true), Map.entry("kernel", true), Map.entry("initrd", true),
            Map.entry("append", true), Map.entry("dtb", true), Map.entry("drive", true), Map.entry("blockdev", true),
            Map.entry("device", true), Map.entry("object", true), Map.entry("chardev", true), Map.entry("serial", true),
            Map.entry("monitor", true), Map.entry("qmp", true), Map.entry("qmp-pretty", true), Map.entry("mon", true),
            Map.entry("nographic", false), Map.entry("display", true), Map.entry("S", false), Map.entry("preconfig", false),
            Map.entry("snapshot", false), Map.entry("name", true), Map.entry("no-reboot", false), Map.entry("no-shutdown", false),
            Map.entry("readconfig", true), Map.entry("d", true), Map.entry("D", true), Map.entry("gdb", true),
            Map.entry("s", false), Map.entry("dbus", true), Map.entry("shell", false), Map.entry("bundles", true),
            Map.entry("version", false), Map.entry("h", false), Map.entry("help", false), Map.entry("accel", true),
            Map.entry("global", true), Map.entry("rtc", true), Map.entry("icount", true), Map.entry("netdev", true),
            Map.entry("nic", true), Map.entry("vnc", true), Map.entry("incoming", true), Map.entry("loadvm", true));

    private OptionTable() { }

    /** Splits arguments into options; QEMU also accepts "--opt". Errors name the option as QEMU does. */
    static List<Option> parse(List<String> args) {
        List<Option> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-") || a.equals("-")) throw new CommandLineException(null, a + ": invalid option");
            String name = a.startsWith("--") ? a.substring(2) : a.substring(1);
            Boolean takes = TAKES_ARGUMENT.get(name);
            if (takes == null) throw new CommandLineException(null, a + ": invalid option");
            if (name.equals("M")) name = "machine";
            if (name.equals("help")) name = "h";
            if (takes) {
                if (i + 1 >= args.size()) throw new CommandLineException(null, a + ": requires an argument");
                out.add(new Option(name, args.get(++i)));
            } else {
                out.add(new Option(name, null));
            }
        }
        return out;
    }
}
