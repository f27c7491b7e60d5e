package org.orrery.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.qom.Keyval;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.ObjectType;
import org.orrery.qom.Property;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeRegistry;
import org.orrery.qom.Value;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns a QEMU-style command line into command invocations on a new machine, in QEMU's order:
 * board and its boot options, character devices, objects, drives, monitors, devices, then start.
 * Every step goes through the command layer, so the command line can do nothing QMP cannot.
 */
final class MachineLauncher {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Session SESSION = () -> "command line";
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(MachineLauncher.class.getName());

    /** What the launcher needs from the container. */
    interface Environment {
        MachineManager machines();

        CommandLayer commands();

        TypeRegistry types();

        PrintStream out();
    }

    /** The outcome: exit now with a status, run a machine, or just keep the container up. */
    record Outcome(Integer exitStatus, Machine machine) {
        static Outcome exit(int status) { return new Outcome(status, null); }
        static Outcome container() { return new Outcome(null, null); }
    }

    private final Environment env;

    MachineLauncher(Environment env) { this.env = env; }

    Outcome launch(List<String> args) {
        List<Option> options = OptionTable.parse(args);
        Integer helpStatus = help(options);
        if (helpStatus != null) return Outcome.exit(helpStatus);
        if (!wantsMachine(options)) return Outcome.container();
        List<ConfigFile.Loaded> configs = new ArrayList<>();
        List<Option> expanded = new ArrayList<>();
        for (Option o : options) {
            if (!o.name().equals("readconfig")) { expanded.add(o); continue; }
            ConfigFile.Loaded c = ConfigFile.load(o);
            configs.add(c);
            expanded.addAll(c.options());
        }
        options = expanded;
        Option machineOption = options.stream().filter(o -> o.name().equals("machine")).reduce((a, b) -> b).orElse(null);
        boolean configChoosesMachine = configs.stream().anyMatch(ConfigFile.Loaded::choosesMachine);
        if (machineOption == null && !configChoosesMachine)
            throw new CommandLineException(null, "No machine specified, and there is no default (use -machine help to list them)");
        OptionValues.check(options);
        Machine machine = env.machines().create("main");
        try {
            for (ConfigFile.Loaded c : configs) replay(machine, c);
            configure(machine, options, machineOption);
            return new Outcome(null, machine);
        } catch (RuntimeException e) {
            env.machines().destroy(machine);
            throw e;
        }
    }

    private static boolean wantsMachine(List<Option> options) {
        for (Option o : options)
            switch (o.name()) {
                case "shell", "bundles", "version", "h", "d", "D", "log-level" -> { }
                default -> { return true; }
            }
        return false;
    }

    // ---- help ----

    private Integer help(List<Option> options) {
        for (Option o : options) {
            String a = o.argument();
            if (a == null) continue;
            boolean asksHelp = a.equals("help") || a.equals("?");
            switch (o.name()) {
                case "machine" -> { if (asksHelp || Keyval.split(a).contains("help")) { machineHelp(); return 0; } }
                case "cpu" -> { if (asksHelp) { cpuHelp(); return 0; } }
                case "device" -> {
                    if (asksHelp) { deviceHelp(); return 0; }
                    List<String> parts = Keyval.split(a);
                    if (parts.size() > 1 && (parts.contains("help") || parts.contains("?"))) { devicePropertyHelp(o, parts.get(0)); return 0; }
                }
                case "object" -> { if (asksHelp) { typeList("user-creatable", "List of user creatable objects:"); return 0; } }
                case "d" -> {
                    if (asksHelp) {
                        env.out().println("Log items (comma separated):");
                        for (org.orrery.machine.LogCategory c : org.orrery.machine.LogCategory.values())
                            env.out().printf("%-15s %s%n", c.option(), c.help());
                        return 0;
                    }
                }
                default -> { }
            }
        }
        return null;
    }

    private void machineHelp() {
        PrintStream out = env.out();
        out.println("Supported machines are:");
        for (ObjectType t : env.types().list("machine", false)) {
            String name = machineName(t);
            out.printf("%-20s %s%s%n", name, t.description() == null ? "" : t.description(), name.equals("virt") ? " (default)" : "");
        }
    }

    private static String machineName(ObjectType t) {
        return t.name().endsWith("-machine") ? t.name().substring(0, t.name().length() - "-machine".length()) : t.name();
    }

    private void cpuHelp() {
        env.out().println("Available CPUs:");
        for (ObjectType t : env.types().list("cpu", false)) env.out().println("  " + t.name());
    }

    private void deviceHelp() {
        PrintStream out = env.out();
        out.println("Devices (installed now):");
        for (ObjectType t : env.types().list("device", false)) {
            if (t.isA("cpu") || t.isA("machine")) continue;
            out.printf("name \"%s\"%s%n", t.name(), t.description() == null ? "" : ", desc \"" + t.description() + "\"");
        }
    }

    private void typeList(String implementsType, String title) {
        env.out().println(title);
        for (ObjectType t : env.types().list(implementsType, false)) env.out().println("  " + t.name());
    }

    private void devicePropertyHelp(Option o, String driver) {
        ObjectType t = env.types().find(driver).orElseThrow(() -> new CommandLineException(o, "'" + driver + "' is not a valid device model name"));
        PrintStream out = env.out();
        out.println(driver + " options:");
        for (Property<?> p : t.properties().values()) out.println(describe(p));
    }

    private static <T> String describe(Property<T> p) {
        StringBuilder b = new StringBuilder(String.format("  %-22s", p.name() + "=<" + p.type().name() + ">"));
        if (p.description() != null) b.append(" - ").append(p.description());
        if (p.defaultValue() != null) b.append(" (default: ").append(p.type().format(p.defaultValue())).append(")");
        if (p.settable() == org.orrery.qom.Settable.NEVER) b.append(" [read-only]");
        return b.toString();
    }

    // ---- configuration ----

    /**
     * -accel tcg[,tb-size=MiB][,thread=single|multi][,x-translate=on|off][,x-hot-threshold=N][,x-warmup=N]:
     * QEMU's TCG is the only accelerator; the x- properties tune Orrery's translator.
     */
    private void accel(Option o, ObjectNode runOptions) {
        ObjectNode a = keyval(o, "accel");
        String name = a.path("accel").asText();
        if (!name.equals("tcg")) throw new CommandLineException(o, "invalid accelerator " + name);
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String v = e.getValue().asText();
            switch (e.getKey()) {
                case "accel" -> { }
                case "tb-size", "x-hot-threshold", "x-warmup" -> {
                    try {
                        runOptions.put(e.getKey().replaceFirst("^x-", ""), Long.parseLong(v));
                    } catch (NumberFormatException x) {
                        throw new CommandLineException(o, "Parameter '" + e.getKey() + "' expects a number");
                    }
                }
                case "x-translate" -> {
                    if (!v.equals("on") && !v.equals("off")) throw new CommandLineException(o, "Parameter 'x-translate' expects 'on' or 'off'");
                    runOptions.put("translate", v.equals("on"));
                }
                case "thread" -> {
                    if (!v.equals("single") && !v.equals("multi")) throw new CommandLineException(o, "Invalid 'thread' setting " + OptionValues.abbreviate(v));
                }
                default -> throw new CommandLineException(o, "Property 'tcg-accel." + e.getKey() + "' not found");
            }
        }
    }

    private void configure(Machine machine, List<Option> options, Option machineOption) {
        var opts = machine.options();
        boolean preconfig = false, nographic = false, snapshot = false, serialGiven = false, monitorGiven = false;
        Option incoming = null, loadvm = null;
        for (Option o : options)
            switch (o.name()) {
                case "S" -> opts.setStartPaused(true);
                case "incoming" -> incoming = o;
                case "loadvm" -> loadvm = o;
                case "preconfig" -> preconfig = true;
                case "no-reboot" -> opts.setNoReboot(true);
                case "no-shutdown" -> opts.setNoShutdown(true);
                case "name" -> opts.setGuestName(keyval(o, "guest").path("guest").asText(o.argument()));
                case "nographic" -> nographic = true;
                case "snapshot" -> snapshot = true;
                case "serial" -> serialGiven = true;
                case "monitor" -> monitorGiven = true;
                default -> { }
            }
        logging(options, opts);
        // property defaults first, so they reach every object made from now on (the board's devices too)
        for (Option o : options)
            if (o.name().equals("global")) {
                OptionValues.Global g = OptionValues.global(o);
                run(machine, o, "x-global-add", F.objectNode().put("driver", g.driver()).put("property", g.property()).put("value", g.value()));
            }
        // the board and its properties
        if (machineOption != null) {
            ObjectNode machineArgs = keyval(machineOption, "type");
            JsonNode type = machineArgs.remove("type");
            if (type == null) throw new CommandLineException(machineOption, "Parameter 'type' is missing");
            run(machine, machineOption, "x-machine-init", F.objectNode().set("type", type));
            for (Iterator<Map.Entry<String, JsonNode>> it = machineArgs.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                qomSet(machine, machineOption, "/machine", e.getKey(), e.getValue());
            }
        }
        ObjectNode runOptions = F.objectNode();
        boolean userPaused = opts.startPaused();
        if (incoming != null && preconfig)
            throw new CommandLineException(incoming, "-incoming with -preconfig: use -incoming defer and migrate-incoming after x-exit-preconfig");
        if (incoming != null && loadvm != null) throw new CommandLineException(loadvm, "-loadvm and -incoming cannot be used together");
        if (incoming != null) runOptions.put("incoming", true);
        // -loadvm: the guest starts from the snapshot, so it must not run before it is loaded
        if (opts.startPaused() || loadvm != null) runOptions.put("start-paused", "on");
        if (opts.noReboot()) runOptions.put("no-reboot", "on");
        if (opts.noShutdown()) runOptions.put("no-shutdown", "on");
        if (opts.guestName() != null) runOptions.put("name", opts.guestName());
        for (Option o : options) if (o.name().equals("accel")) accel(o, runOptions);
        for (Option o : options)
            if (o.name().equals("rtc")) {
                ObjectNode r = OptionValues.rtc(o);
                if (r.has("base")) runOptions.put("rtc-base", r.get("base").textValue());
                if (r.has("clock")) runOptions.put("rtc-clock", r.get("clock").textValue());
            }
        for (Option o : options)
            if (o.name().equals("icount")) {
                OptionValues.Icount i = OptionValues.icount(o);
                for (Option s : options)
                    if (s.name().equals("smp") && OptionValues.smp(s).cpus() != null && OptionValues.smp(s).cpus() > 1)
                        throw new CommandLineException(o, "-icount runs one hart: QEMU takes the harts in turn on one thread, Orrery gives each its own (use -smp 1)");
                runOptions.put("icount-shift", i.shift());
                runOptions.put("icount-sleep", i.sleep());
            }
        if (runOptions.size() > 0) run(machine, new Option("S", null), "x-machine-options", runOptions);
        for (Option o : options)
            switch (o.name()) {
                case "m" -> qomSet(machine, o, "/machine", "ram-size", OptionValues.sizeJson(OptionValues.ramSize(o)));
                case "smp" -> {
                    Long cpus = OptionValues.smp(o).cpus();
                    if (cpus != null) qomSet(machine, o, "/machine", "smp", F.numberNode(cpus));
                }
                case "cpu" -> {
                    ObjectNode c = keyval(o, "model");
                    String model = c.path("model").asText();
                    if (env.types().find(model).filter(t -> t.isA("cpu") && !t.isAbstract()).isEmpty())
                        throw new CommandLineException(o, "unable to find CPU model '" + model + "' (use -cpu help to list them)");
                    JsonNode modelName = c.remove("model");
                    qomSet(machine, o, "/machine", "cpu-type", modelName);
                    // as QEMU does: -cpu MODEL,PROP=VALUE is -global MODEL.PROP=VALUE for the CPUs the board makes
                    for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> p = it.next();
                        if (!p.getValue().isTextual()) throw new CommandLineException(o, "Parameter '" + p.getKey() + "' is given more than once");
                        run(machine, o, "x-global-add", F.objectNode().put("driver", model).put("property", p.getKey())
                                .put("value", p.getValue().textValue()));
                    }
                }
                case "bios" -> qomSet(machine, o, "/machine", "firmware", F.textNode(o.argument()));
                case "kernel" -> qomSet(machine, o, "/machine", "kernel", F.textNode(o.argument()));
                case "initrd" -> qomSet(machine, o, "/machine", "initrd", F.textNode(o.argument()));
                case "append" -> qomSet(machine, o, "/machine", "append", F.textNode(o.argument()));
                case "dtb" -> qomSet(machine, o, "/machine", "dtb", F.textNode(o.argument()));
                default -> { }
            }
        // character devices, then the serial port and monitors that use them
        // a chardev that carries a QMP monitor (-mon chardev=X,mode=control) becomes a QMP listener on its socket
        java.util.Map<String, Option> controlMonitors = new java.util.HashMap<>();
        for (Option o : options)
            if (o.name().equals("mon")) {
                ObjectNode m = keyval(o, "chardev");
                if (m.path("mode").asText("readline").equals("control")) controlMonitors.put(m.path("chardev").asText(), o);
            }
        int qmpIndex = 0;
        for (Option o : options) {
            if (!o.name().equals("chardev")) continue;
            ObjectNode c = keyval(o, "backend");
            Option mon = controlMonitors.get(c.path("id").asText());
            if (mon == null) { run(machine, o, "x-chardev-add-opts", c); continue; }
            ObjectNode a = F.objectNode().put("id", "qmp-mon" + qmpIndex++).put("address", socketAddress(o, c));
            if (keyval(mon, "chardev").path("pretty").asText("off").equals("on")) a.put("pretty", "on");
            run(machine, mon, "qmp-listener-add", a);
        }
        Serial serial = new Serial(this, machine);
        int serialPorts = 0;
        for (Option o : options) if (o.name().equals("serial")) serial.configure(o, serialPorts++);
        if (!serialGiven && nographic) serial.configure(new Option("serial", monitorGiven ? "stdio" : "mon:stdio"));
        for (Option o : options) if (o.name().equals("monitor")) serial.monitor(o);
        for (Option o : options)
            if (o.name().equals("mon") && !keyval(o, "chardev").path("mode").asText("readline").equals("control")) serial.mon(o);
        // objects, block devices
        for (Option o : options) if (o.name().equals("object") && !isNetFilter(o)) run(machine, o, "object-add", keyval(o, "qom-type"));
        for (Option o : options) if (o.name().equals("blockdev")) run(machine, o, "blockdev-add", keyval(o, null));
        int drives = 0;
        List<DriveDevice> driveDevices = new ArrayList<>();
        for (Option o : options) if (o.name().equals("drive")) drive(machine, o, snapshot, drives++, driveDevices);
        // network back-ends; -nic makes one and a card for it
        for (Option o : options) if (o.name().equals("netdev")) run(machine, o, "netdev_add", keyval(o, "type"));
        int nics = 0;
        for (Option o : options) if (o.name().equals("nic")) nic(machine, o, nics++, driveDevices);
        // network filters name a netdev, so they come after the netdevs (as QEMU delays them)
        for (Option o : options) if (o.name().equals("object") && isNetFilter(o)) run(machine, o, "object-add", keyval(o, "qom-type"));
        // control front-ends, so clients can connect before the guest starts
        java.util.Set<String> listenerIds = new java.util.HashSet<>();
        if (hasCommand("query-qmp-listeners"))   // a -readconfig file may have added some already
            for (JsonNode l : execute(machine, "query-qmp-listeners", F.objectNode())) listenerIds.add(l.path("id").asText());
        int monitors = 0;
        for (Option o : options) {
            if (o.name().equals("qmp") || o.name().equals("qmp-pretty")) {
                while (listenerIds.contains("qmp" + monitors)) monitors++;
                ObjectNode a = F.objectNode().put("id", "qmp" + monitors++).put("address", o.argument());
                if (o.name().equals("qmp-pretty")) a.put("pretty", "on");
                run(machine, o, "qmp-listener-add", a);
            }
        }
        // the D-Bus front-end (-dbus name=N[,addr=A])
        int buses = 0;
        for (Option o : options)
            if (o.name().equals("dbus")) {
                ObjectNode d = keyval(o, "name");
                d.put("id", "dbus" + buses++);
                run(machine, o, "dbus-add", d);
            }
        // the gdb stub (-gdb DEV, -s)
        for (Option o : options) {
            if (o.name().equals("gdb")) run(machine, o, "gdbserver", F.objectNode().put("device", o.argument()));
            if (o.name().equals("s")) run(machine, o, "gdbserver", F.objectNode().put("device", "tcp::1234"));
        }
        // devices, remembering where each went: realizing them comes later, with the board, and a device
        // that fails then is named by its option
        java.util.Map<String, Option> devicePaths = new java.util.LinkedHashMap<>();
        for (Option o : options) if (o.name().equals("device")) addDevice(machine, o, keyval(o, "driver"), devicePaths);
        // the devices -drive if=virtio stands for come after the -device ones, as in QEMU (they take later slots)
        for (DriveDevice d : driveDevices) addDevice(machine, d.option(), d.arguments(), devicePaths);
        // the display front-ends (-vnc, -display none|vnc=...), once the devices they show are added
        for (Option o : options) {
            if (o.name().equals("vnc")) run(machine, o, "x-vnc-display", F.objectNode().put("display", o.argument()));
            if (!o.name().equals("display")) continue;
            ObjectNode d = keyval(o, "type");
            String type = d.path("type").asText();
            if (d.has("vnc")) run(machine, o, "x-vnc-display", F.objectNode().put("display", d.path("vnc").asText()));
            else if (!type.equals("none"))
                throw new CommandLineException(o, "only -display none and vnc=DISPLAY are supported (there is no window: use -vnc or screendump)");
        }
        for (org.orrery.qom.GlobalProperties.Global g : machine.tree().globals().unknownTypes(env.types()))
            LOG.warning("global " + g.type() + "." + g.property() + " has invalid class name");
        if (!preconfig) {
            try {
                execute(machine, "x-exit-preconfig", F.objectNode());
            } catch (QomException e) {
                // building the board loads images, sets up RAM and realizes cold-plugged devices: a device's
                // failure names its -device option; the rest speak for themselves, as QEMU's do
                Option culprit = null;
                String message = e.getMessage() == null ? "" : e.getMessage();
                for (java.util.Map.Entry<String, Option> d : devicePaths.entrySet())
                    if (message.contains("'" + d.getKey() + "'")) culprit = d.getValue();
                // devices are realized in the order they were added, after the board: the first one left
                // unrealized is the one that failed (its bus, say, named nowhere in the message)
                QObject board = machine.tree().resolve("/machine");
                if (culprit == null && board != null && board.isRealized())
                    for (java.util.Map.Entry<String, Option> d : devicePaths.entrySet()) {
                        QObject o = machine.tree().resolve(d.getKey());
                        if (o != null && !o.isRealized()) { culprit = d.getValue(); break; }
                    }
                throw new CommandLineException(culprit, message);
            }
            if (incoming != null && !incoming.argument().equals("defer"))
                run(machine, incoming, "migrate-incoming", F.objectNode().put("uri", incoming.argument()));
            if (loadvm != null) {
                run(machine, loadvm, "x-vm-snapshot-load", F.objectNode().put("tag", loadvm.argument()));
                if (!userPaused) execute(machine, "cont", F.objectNode());
            }
        }
    }

    private static void logging(List<Option> options, org.orrery.machine.MachineOptions opts) {
        java.util.Set<org.orrery.machine.LogCategory> categories = java.util.EnumSet.noneOf(org.orrery.machine.LogCategory.class);
        for (Option o : options) {
            if (o.name().equals("d")) {
                for (String item : o.argument().split(",")) {
                    org.orrery.machine.LogCategory c = org.orrery.machine.LogCategory.byOption(item.trim());
                    if (c == null) throw new CommandLineException(o, "Invalid -d option: " + item + " (use -d help to list them)");
                    categories.add(c);
                }
            } else if (o.name().equals("D")) {
                try {
                    opts.setLogSink(new PrintStream(new java.io.FileOutputStream(o.argument(), true), true));
                } catch (java.io.IOException e) {
                    throw new CommandLineException(o, "cannot open log file: " + e.getMessage());
                }
            }
        }
        opts.setLogCategories(categories);
    }

    /** The QMP listener address equivalent to a -chardev socket option. */
    private String socketAddress(Option o, ObjectNode c) {
        if (!c.path("backend").asText().equals("socket"))
            throw new CommandLineException(o, "a QMP monitor needs a socket chardev");
        String flags = ",server=" + c.path("server").asText("off") + ",wait=" + c.path("wait").asText("on");
        if (c.has("path")) return "unix:" + c.get("path").asText().replace(",", ",,") + flags;
        if (c.has("port")) return "tcp:" + c.path("host").asText("127.0.0.1") + ":" + c.get("port").asText() + flags;
        throw new CommandLineException(o, "a socket chardev needs path= or port=");
    }

    /** Replays a JSON configuration (a list of commands) as QMP would run it. */
    private void replay(Machine machine, ConfigFile.Loaded config) {
        for (ConfigFile.Command c : config.commands()) {
            Option o = config.option();
            step(new Option(o.name(), o.argument() + " (" + c.command() + ")"), () -> {
                if (env.commands().command(c.command()).isEmpty())
                    throw new QomException("The command " + c.command() + " has not been found");
                Value args = c.text() ? Value.ofText("arguments", c.arguments()) : Value.ofJson("arguments", c.arguments());
                env.commands().execute(machine.tree(), c.command(), args, SESSION);
            });
        }
    }

    /** A device a -drive or -nic stands for, added after the -device ones. */
    private record DriveDevice(Option option, ObjectNode arguments) { }

    /** device_add for an option, remembering where the device went so a later failure names the option. */
    private void addDevice(Machine machine, Option o, ObjectNode arguments, java.util.Map<String, Option> devicePaths) {
        ObjectTree.Listener placed = new ObjectTree.Listener() {
            @Override public void objectAdded(QObject added) {
                if (added.parent() != null && added.parent().path().startsWith("/machine/peripheral")) devicePaths.put(added.path(), o);
            }
        };
        machine.tree().addListener(placed);
        try {
            run(machine, o, "device_add", arguments);
        } finally {
            machine.tree().removeListener(placed);
        }
    }

    private void drive(Machine machine, Option o, boolean globalSnapshot, int index, List<DriveDevice> devices) {
        ObjectNode d = keyval(o, null);
        String iface = d.has("if") ? d.remove("if").asText() : "ide";
        if (!d.has("id")) d.put("id", "drive" + index);
        if (!d.has("file")) throw new CommandLineException(o, "Parameter 'file' is missing");
        if (globalSnapshot && !d.has("snapshot")) d.put("snapshot", "on");
        d.remove("media");
        switch (iface) {
            case "none" -> run(machine, o, "x-drive-add", d);
            case "virtio" -> {
                // QEMU's if=virtio on virt: a virtio-blk-pci on the PCIe host
                run(machine, o, "x-drive-add", d);
                devices.add(new DriveDevice(o, F.objectNode().put("driver", "virtio-blk-pci").put("drive", d.get("id").asText())));
            }
            default -> throw new CommandLineException(o, "machine type does not support if=" + iface + ",bus=0,unit=" + index);
        }
    }

    private boolean isNetFilter(Option o) { return keyval(o, "qom-type").path("qom-type").asText("").startsWith("filter-"); }

    /** -nic TYPE[,model=M][,mac=A][,backend options]: a netdev named as QEMU names it, and a card (virtio-net-pci by default). */
    private void nic(Machine machine, Option o, int index, List<DriveDevice> devices) {
        ObjectNode n = keyval(o, "type");
        if (n.path("type").asText("").equals("none")) return;
        if (!n.has("type")) n.put("type", "user");
        String id = "__org.qemu.nic" + index;
        JsonNode model = n.remove("model"), mac = n.remove("mac");
        n.put("id", id);
        run(machine, o, "netdev_add", n);
        ObjectNode card = F.objectNode().put("driver", model == null ? "virtio-net-pci" : model.asText()).put("netdev", id);
        if (mac != null) card.set("mac", mac);
        devices.add(new DriveDevice(o, card));
    }

    void qomSet(Machine machine, Option o, String path, String property, JsonNode value) {
        run(machine, o, "qom-set", F.objectNode().put("path", path).put("property", property).set("value", value));
    }

    ObjectNode keyval(Option o, String impliedKey) { return OptionValues.keyval(o, impliedKey); }

    /** Runs one command with text-dialect arguments; any error names the option it came from. */
    void run(Machine machine, Option o, String command, ObjectNode arguments) {
        step(o, () -> execute(machine, command, arguments));
    }

    JsonNode execute(Machine machine, String command, ObjectNode arguments) {
        if (env.commands().command(command).isEmpty())
            throw new QomException("this needs the command '" + command + "', which no installed bundle provides");
        return env.commands().execute(machine.tree(), command, Value.ofText("arguments", arguments), SESSION);
    }

    private static void step(Option o, Runnable r) {
        try {
            r.run();
        } catch (QomException e) {
            throw new CommandLineException(o, e.getMessage());
        }
    }

    /** Runs a command and returns its result; errors name the option. */
    JsonNode execute(Option o, Machine machine, String command, ObjectNode arguments) {
        try {
            return execute(machine, command, arguments);
        } catch (QomException e) {
            throw new CommandLineException(o, e.getMessage());
        }
    }

    boolean hasCommand(String name) { return env.commands().command(name).isPresent(); }

    /** Lists options in the order given, for tests. */
    static List<String> names(List<Option> options) {
        List<String> out = new ArrayList<>();
        for (Option o : options) out.add(o.name());
        return out;
    }
}
