package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.Device;
import org.orrery.machine.device.DeviceBus;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.Keyval;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.Property;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The human monitor's interpreter: parses one line of QEMU's HMP syntax into command-layer calls and
 * renders the results as QEMU prints them. Runs on the machine thread (the monitor front-end and the
 * human-monitor-command handler both live there). Never throws: every problem becomes one line of output.
 */
public final class Hmp {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A command of the monitor: its name, aliases, argument synopsis and one-line help. */
    private record Cmd(String name, String args, String help, Handler handler, String... aliases) { }

    @FunctionalInterface
    private interface Handler { void run(Args a); }

    private final ObjectTree tree;
    private final CommandLayer layer;
    private final Session session;
    private final Map<String, Cmd> commands = new LinkedHashMap<>();
    private final Map<String, Cmd> infos = new LinkedHashMap<>();
    /** The x/xp format state; QEMU shares it between all monitors, so it belongs to the machine. */
    private final MemoryDump dump;
    private int cpuIndex;
    private StringBuilder out;

    public Hmp(ObjectTree tree, CommandLayer layer, Session session) {
        this.tree = tree;
        this.layer = layer;
        this.session = session;
        MemoryDump d = tree.attachment(MemoryDump.class);
        if (d == null) {
            d = new MemoryDump();
            tree.attach(MemoryDump.class, d);
        }
        this.dump = d;
        define();
    }

    public void setCpuIndex(int index) { this.cpuIndex = index; }

    /** Runs one command line and returns everything it printed ("\n" line ends). */
    public String execute(String line) {
        out = new StringBuilder();
        try {
            run(line.strip());
        } catch (QomException e) {
            println("Error: " + e.getMessage());
        } catch (HmpError e) {
            println(e.getMessage());
        } catch (RuntimeException | LinkageError | OutOfMemoryError | StackOverflowError e) {
            // a bug, or a command that asked for more than the host gives: said, and the monitor goes on
            println("Error: internal error: " + e);
        }
        return out.toString();
    }

    /** A message printed as it is, without QEMU's "Error: " prefix (syntax errors, unknown commands). */
    static final class HmpError extends RuntimeException {
        HmpError(String message) { super(message, null, false, false); }
    }

    private void println(String s) { out.append(s).append('\n'); }
    private void print(String s) { out.append(s); }

    // ------------------------------------------------------------------ dispatch

    private void run(String line) {
        if (line.isEmpty()) return;
        String name;
        String rest;
        int sp = 0;
        while (sp < line.length() && !Character.isWhitespace(line.charAt(sp)) && line.charAt(sp) != '/') sp++;
        name = line.substring(0, sp);
        rest = line.substring(sp).strip();
        Cmd c = lookup(commands, name);
        if (c == null) throw new HmpError("unknown command: '" + name + "'");
        if (c.name().equals("info")) {
            if (rest.isEmpty()) { listHelp(infos, "info "); return; }
            String[] p = rest.split("\\s+", 2);
            Cmd i = lookup(infos, p[0]);
            if (i == null) throw new HmpError("unknown command: 'info " + p[0] + "'");
            i.handler().run(new Args("info " + i.name(), p.length > 1 ? p[1] : ""));
            return;
        }
        c.handler().run(new Args(c.name(), rest));
    }

    private static Cmd lookup(Map<String, Cmd> table, String name) {
        Cmd c = table.get(name);
        if (c != null) return c;
        for (Cmd x : table.values()) for (String a : x.aliases()) if (a.equals(name)) return x;
        return null;
    }

    private void def(String name, String args, String help, Handler h, String... aliases) {
        commands.put(name, new Cmd(name, args, help, h, aliases));
    }

    private void info(String name, String args, String help, Handler h) { infos.put(name, new Cmd(name, args, help, h)); }

    /** The arguments after the command name, split as the monitor splits them. */
    final class Args {
        final String command;
        final String raw;
        private final List<String> words;

        Args(String command, String raw) {
            this.command = command;
            this.raw = raw;
            this.words = split(raw);
        }

        int size() { return words.size(); }

        String word(int i) {
            if (i >= words.size()) throw new HmpError("Parameter missing\nTry \"help " + command + "\" for more information");
            return words.get(i);
        }

        String optional(int i) { return i < words.size() ? words.get(i) : null; }

        void atMost(int n) {
            if (words.size() > n) throw new HmpError(command + ": extraneous characters at the end of line");
        }
    }

    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
            if (i >= s.length()) break;
            StringBuilder w = new StringBuilder();
            if (s.charAt(i) == '"') {
                i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\' && i + 1 < s.length()) i++;
                    w.append(s.charAt(i++));
                }
                if (i >= s.length()) throw new HmpError("unterminated string literal");
                i++;
            } else {
                while (i < s.length() && !Character.isWhitespace(s.charAt(i))) w.append(s.charAt(i++));
            }
            out.add(w.toString());
        }
        return out;
    }

    // ------------------------------------------------------------------ snapshots and migration

    private void defineSnapshots() {
        def("savevm", "[tag]", "save a VM snapshot into the qcow2 disks (a new tag, or one to replace)", a -> {
            a.atMost(1);
            ObjectNode o = F.objectNode();
            if (a.optional(0) != null) o.put("tag", a.word(0));
            callJson("x-vm-snapshot-save", o);
        });
        def("loadvm", "tag", "restore a VM snapshot from its tag", a -> {
            a.atMost(1);
            callJson("x-vm-snapshot-load", F.objectNode().put("tag", a.word(0)));
        });
        def("delvm", "tag", "delete a VM snapshot from its tag", a -> {
            a.atMost(1);
            callJson("x-vm-snapshot-delete", F.objectNode().put("tag", a.word(0)));
        });
        info("snapshots", "", "show the currently saved VM snapshots", a ->
                print(VmStateReports.snapshots(call("x-query-vm-snapshots", null))));
        def("migrate", "[-d] uri", "migrate to URI (exec:, unix:, tcp:, file:)", a -> {
            int i = "-d".equals(a.optional(0)) ? 1 : 0;
            callJson("migrate", F.objectNode().put("uri", a.word(i)));
        });
        def("migrate_cancel", "", "cancel the current VM migration", a -> call("migrate_cancel", null));
        def("migrate_incoming", "uri", "continue an incoming migration from URI", a ->
                callJson("migrate-incoming", F.objectNode().put("uri", a.word(0))));
        def("migrate_set_capability", "capability state", "enable or disable a migration capability", a -> {
            a.atMost(2);
            ObjectNode cap = F.objectNode().put("capability", a.word(0)).put("state", a.word(1).equals("on"));
            ObjectNode o = F.objectNode();
            o.putArray("capabilities").add(cap);
            callJson("migrate-set-capabilities", o);
        });
        info("migrate", "", "show migration status", a -> print(VmStateReports.migration(call("query-migrate", null))));
    }

    // ------------------------------------------------------------------ the command layer

    private JsonNode call(String command, ObjectNode textArgs) {
        return layer.execute(tree, command, textArgs == null ? null : Value.ofText("arguments", textArgs), session);
    }

    private JsonNode callJson(String command, ObjectNode jsonArgs) {
        return layer.execute(tree, command, jsonArgs == null ? null : Value.ofJson("arguments", jsonArgs), session);
    }

    private boolean has(String command) { return layer.command(command).isPresent(); }

    private Machine machine() {
        Machine m = tree.attachment(Machine.class);
        if (m == null) throw new QomException("there is no machine");
        return m;
    }

    private Hart hart() {
        Board b = machine().board();
        List<Hart> harts = b == null || !b.isRealized() ? List.of() : b.harts();
        if (harts.isEmpty()) throw new HmpError("No CPU available");
        if (cpuIndex < 0 || cpuIndex >= harts.size()) throw new HmpError("Invalid CPU index " + cpuIndex);
        return harts.get(cpuIndex);
    }

    private Hart hartOrNull() {
        try {
            return hart();
        } catch (HmpError e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ the commands

    private void define() {
        def("help", "[cmd]", "show the help", a -> help(a.optional(0)), "?");
        def("info", "[subcommand]", "show various information about the system state", a -> { });
        def("stop", "", "stop emulation", a -> call("stop", null), "s");
        def("cont", "", "resume emulation", a -> call("cont", null), "c");
        def("system_reset", "", "reset the system", a -> call("system_reset", null));
        def("system_powerdown", "", "send system power down event", a -> call("system_powerdown", null));
        def("quit", "", "quit the emulator", a -> call("quit", null), "q");
        def("cpu", "index", "set the default CPU", a -> {
            int i = (int) number(a.word(0));
            Board b = machine().board();
            int n = b == null || !b.isRealized() ? 0 : b.harts().size();
            if (i < 0 || i >= n) throw new HmpError("invalid CPU index");
            cpuIndex = i;
        });
        defineSnapshots();
        def("x", "/fmt addr", "virtual memory dump starting at 'addr'", a -> memoryDump(a, true));
        def("xp", "/fmt addr", "physical memory dump starting at 'addr'", a -> memoryDump(a, false));
        def("memsave", "addr size file", "save to disk virtual memory dump starting at 'addr' of size 'size'", a -> {
            a.atMost(3);
            ObjectNode o = F.objectNode().put("val", expression(a.word(0))).put("size", expression(a.word(1)))
                    .put("filename", a.word(2)).put("cpu-index", cpuIndex);
            callJson("memsave", o);
        });
        def("pmemsave", "addr size file", "save to disk physical memory dump starting at 'addr' of size 'size'", a -> {
            a.atMost(3);
            callJson("pmemsave", F.objectNode().put("val", expression(a.word(0))).put("size", expression(a.word(1)))
                    .put("filename", a.word(2)));
        });
        def("device_add", "driver[,prop=value][,...]", "add device, like -device on the command line", a -> {
            if (a.raw.isEmpty()) throw new HmpError("Parameter 'driver' is missing");
            call("device_add", Keyval.parse(a.raw, "driver"));
        });
        def("device_del", "device", "remove device", a -> { a.atMost(1); call("device_del", F.objectNode().put("id", a.word(0))); });
        def("object_add", "[qom-type=]type,id=str[,prop=value][,...]", "create QOM object", a -> {
            if (a.raw.isEmpty()) throw new HmpError("Parameter 'qom-type' is missing");
            call("object-add", Keyval.parse(a.raw, "qom-type"));
        });
        def("object_del", "id", "destroy QOM object", a -> { a.atMost(1); call("object-del", F.objectNode().put("id", a.word(0))); });
        def("qom-list", "path", "list QOM properties", a -> qomList(a.optional(0)));
        def("qom-get", "path property", "print QOM property", a -> {
            a.atMost(2);
            println(pretty(call("qom-get", F.objectNode().put("path", a.word(0)).put("property", a.word(1)))));
        });
        def("qom-set", "[-j] path property value", "set QOM property (-j: the value is JSON)", a -> {
            if ("-j".equals(a.optional(0))) {
                a.atMost(4);
                JsonNode v;
                try {
                    v = JSON.readTree(a.word(3));
                } catch (JsonProcessingException e) {
                    throw new HmpError("Error: value is not valid JSON: " + a.word(3));
                }
                ObjectNode o = F.objectNode().put("path", a.word(1)).put("property", a.word(2));
                o.set("value", v);
                callJson("qom-set", o);
            } else {
                a.atMost(3);
                call("qom-set", F.objectNode().put("path", a.word(0)).put("property", a.word(1)).put("value", a.word(2)));
            }
        });
        def("chardev-add", "args", "add chardev, like -chardev on the command line", a -> {
            if (a.raw.isEmpty()) throw new HmpError("Parameter 'args' is missing");
            call("x-chardev-add-opts", Keyval.parse(a.raw, "backend"));
        });
        def("netdev_add", "[user],id=str[,prop=value][,...]", "add host network device", a -> {
            if (a.raw.isEmpty()) throw new HmpError("Parameter 'type' is missing");
            call("netdev_add", Keyval.parse(a.raw, "type"));
        });
        def("netdev_del", "id", "remove host network device", a -> { a.atMost(1); call("netdev_del", F.objectNode().put("id", a.word(0))); });
        def("set_link", "name on|off", "change the link status of a network adapter", a -> {
            a.atMost(2);
            String state = a.word(1);
            if (!state.equals("on") && !state.equals("off")) throw new HmpError("Parameter 'up' expects 'on' or 'off'");
            callJson("set_link", F.objectNode().put("name", a.word(0)).put("up", state.equals("on")));
        });
        def("chardev-remove", "id", "remove chardev", a -> { a.atMost(1); call("chardev-remove", F.objectNode().put("id", a.word(0))); });

        def("screendump", "filename [-f format] [device [head]]", "save screen from head 'head' of display device 'device' in specified format 'format' (ppm or png; ppm by default) as image 'filename'", a -> {
            int i = 0;
            ObjectNode o = F.objectNode().put("filename", a.word(i++));
            if ("-f".equals(a.optional(i))) { i++; o.put("format", a.word(i++)); }
            if (a.optional(i) != null) o.put("device", a.word(i++));
            if (a.optional(i) != null) o.put("head", a.word(i++));
            a.atMost(i);
            call("screendump", o);
        });
        def("change", "device filename [format]", "change a removable medium; 'change vnc DISPLAY' or 'change vnc password [PASSWORD]' for the VNC server", a -> {
            if (!"vnc".equals(a.word(0))) throw new HmpError("change: only 'change vnc ...' is supported (there are no removable media)");
            if ("password".equals(a.word(1))) {
                a.atMost(3);
                callJson("change-vnc-password", F.objectNode().put("password", a.optional(2) == null ? "" : a.optional(2)));
            } else {
                a.atMost(2);
                callJson("x-vnc-display", F.objectNode().put("display", a.word(1)));
            }
        });
        info("status", "", "show the current VM status (running|paused)", a -> {
            JsonNode s = call("query-status", null);
            String st = s.path("status").asText();
            if (s.path("running").asBoolean()) println("VM status: running");
            else println("VM status: paused" + (st.equals("paused") ? "" : " (" + st + ")"));
        });
        info("version", "", "show the version of QEMU", a -> {
            JsonNode v = call("query-version", null);
            JsonNode q = v.path("qemu");
            println(q.path("major").asInt() + "." + q.path("minor").asInt() + "." + q.path("micro").asInt() + v.path("package").asText(""));
        });
        info("registers", "[-a]", "show the cpu registers (-a: all cpus)", a -> {
            if ("-a".equals(a.optional(0))) {
                Board b = machine().board();
                List<Hart> hs = b == null || !b.isRealized() ? List.of() : b.harts();
                if (hs.isEmpty()) throw new HmpError("No CPU available");
                for (int i = 0; i < hs.size(); i++) print(Registers.dump(i, hs.get(i).debug()));
            } else {
                print(Registers.dump(cpuIndex, hart().debug()));
            }
        });
        info("cpus", "", "show infos for each CPU", a -> {
            Board b = machine().board();
            List<Hart> hs = b == null || !b.isRealized() ? List.of() : b.harts();
            List<Long> threads = machine().hartThreadIds(); // each hart runs on a host thread of its own
            for (int i = 0; i < hs.size(); i++) {
                long tid = i < threads.size() && threads.get(i) >= 0 ? threads.get(i) : ProcessHandle.current().pid();
                println((i == cpuIndex ? "* " : "  ") + "CPU #" + i + ": thread_id=" + tid);
            }
        });
        info("jit", "", "show dynamic compiler info", a -> {
            for (JsonNode j : call("x-query-jit", null)) {
                String cpu = "CPU #" + j.path("cpu-index").asInt();
                if (!j.path("engine").asText().equals("translator")) { println(cpu + ": interpreter only (no translation)"); continue; }
                long tr = j.path("translated-instructions").asLong(), in = j.path("interpreted-instructions").asLong();
                println(cpu + " translation cache:");
                println(String.format("  regions              %d alive, %d bytes of bytecode (cap %d MiB)", j.path("regions").asLong(),
                        j.path("code-bytes").asLong(), j.path("code-cache-size").asLong() >> 20));
                println(String.format("  translations         %d in %d ms, %d pending, %d discarded, %d shared by other CPUs",
                        j.path("translations").asLong(), j.path("translation-ns").asLong() / 1_000_000, j.path("pending").asLong(),
                        j.path("discarded").asLong(), j.path("shared").asLong()));
                println(String.format("  cache hits/misses    %d / %d", j.path("hits").asLong(), j.path("misses").asLong()));
                println(String.format("  instructions         %d translated, %d interpreted (%.1f%% translated)", tr, in,
                        100.0 * tr / Math.max(1, tr + in)));
                println(String.format("  invalidations        %d", j.path("invalidations").asLong()));
                println(String.format("  flushes              %d (%d regions evicted by the cap)", j.path("flushes").asLong(),
                        j.path("evictions").asLong()));
            }
        });
        info("qom-tree", "[path]", "show QOM composition tree", a -> {
            String path = a.optional(0) == null ? "/machine" : a.optional(0);
            QObject o = tree.resolve(path);
            if (o == null) throw new QomException("Device '" + path + "' not found");
            qomTree(o.path().isEmpty() ? "/" : o.path(), o.type().name(), o, 0);
        });
        info("qtree", "", "show device tree", a -> qtree());
        info("pci", "", "show PCI info", a -> infoPci());
        info("mtree", "", "show memory tree", a -> mtree());
        info("chardev", "", "show the character devices", a -> {
            if (has("query-chardev")) {
                for (JsonNode c : call("query-chardev", null)) println(c.path("label").asText() + ": filename=" + c.path("filename").asText());
            } else {
                QObject chardevs = tree.resolve("/chardevs");
                if (chardevs != null)
                    for (Map.Entry<String, QObject> e : chardevs.children().entrySet())
                        println(e.getKey() + ": filename=" + e.getValue().type().name().replaceFirst("^chardev-", ""));
            }
        });
        info("block", "", "show the block devices", a -> {
            if (!has("query-block")) return;
            boolean first = true;
            for (JsonNode b : call("query-block", null)) {
                if (!first) println("");
                first = false;
                JsonNode in = b.path("inserted");
                String dev = b.path("device").asText(b.path("qdev").asText("?"));
                if (in.isMissingNode()) {
                    println(dev + ": [not inserted]");
                } else {
                    println(dev + " (" + in.path("node-name").asText("#block") + "): " + in.path("file").asText()
                            + " (" + in.path("drv").asText("raw") + (in.path("ro").asBoolean() ? ", read-only" : "") + ")");
                    if (b.has("qdev")) println("    Attached to:      " + b.path("qdev").asText());
                    println("    Cache mode:       writeback");
                }
            }
        });
        info("network", "", "show the network state", a -> {
            if (!has("x-query-network")) return;
            for (JsonNode n : call("x-query-network", null)) {
                println(n.path("name").asText() + ": " + n.path("info").asText());
                JsonNode peer = n.path("peer");
                if (peer.isObject()) println(" \\ " + peer.path("name").asText() + ": " + peer.path("info").asText());
            }
        });
        info("roms", "", "show roms", a -> {
            if (!has("query-roms")) return;
            for (JsonNode r : call("query-roms", null))
                println(String.format("addr=%016x size=0x%06x mem=%s name=\"%s\"", r.path("addr").asLong(), r.path("size").asLong(),
                        r.path("mem").asText("rom"), r.path("name").asText()));
        });
        info("vnc", "", "show the vnc server status", a -> {
            if (!has("query-vnc")) { println("VNC is not available (the display bundle is not installed)"); return; }
            JsonNode v = call("query-vnc", null);
            if (!v.path("enabled").asBoolean()) { println("None"); return; }
            println("default:");
            println("  Server: " + endpoint(v));
            println("    Auth: " + v.path("auth").asText() + " (Sub: none)");
            for (JsonNode c : v.path("clients")) {
                println("  Client: " + endpoint(c));
                println("    x509_dname: none");
                println("    sasl_username: none");
            }
        });
        info("name", "", "show the current VM name", a -> {
            JsonNode n = call("query-name", null);
            if (n.has("name")) println(n.path("name").asText());
        });
    }

    /** A VNC endpoint as "info vnc" shows it: HOST:SERVICE (family), where a unix socket's host is empty. */
    private static String endpoint(JsonNode v) {
        return v.path("host").asText() + ":" + v.path("service").asText() + " (" + v.path("family").asText() + ")";
    }

    // ------------------------------------------------------------------ help

    private void help(String topic) {
        if (topic == null) {
            listHelp(commands, "");
            return;
        }
        if (topic.equals("info")) { listHelp(infos, "info "); return; }
        Cmd c = lookup(commands, topic);
        if (c == null) throw new HmpError("unknown command: '" + topic + "'");
        println(line(c, ""));
    }

    private void listHelp(Map<String, Cmd> table, String prefix) {
        for (Cmd c : table.values()) println(line(c, prefix));
    }

    private static String line(Cmd c, String prefix) {
        String names = c.name() + (c.aliases().length == 0 ? "" : "|" + String.join("|", c.aliases()));
        return prefix + names + " " + c.args() + " -- " + c.help();
    }

    // ------------------------------------------------------------------ qom

    private void qomList(String path) {
        if (path == null) {
            println("/");
            return;
        }
        for (JsonNode p : call("qom-list", F.objectNode().put("path", path)))
            println(p.path("name").asText() + " (" + p.path("type").asText() + ")");
    }

    private void qomTree(String name, String type, QObject o, int depth) {
        println("  ".repeat(depth) + name + " (" + type + ")");
        for (Map.Entry<String, QObject> c : o.children().entrySet())
            qomTree("/" + c.getKey(), c.getValue().type().name(), c.getValue(), depth + 1);
    }

    /** QEMU's device tree: the devices of the system bus, each with its properties and the buses it provides. */
    private void qtree() {
        QObject m = tree.resolve("/machine");
        println("bus: main-system-bus");
        println("  type System");
        if (m == null) return;
        for (QObject o : tree.all()) {
            if (o == m || !(o instanceof Device d) || o.type().isA("machine") || d.parentBus() != null) continue;
            qtreeDevice(d, 1);
        }
    }

    private void qtreeDevice(Device d, int depth) {
        String indent = "  ".repeat(depth);
        String id = d.parent() != null && d.parent().path().equals("/machine/peripheral") ? d.name() : "";
        println(indent + "dev: " + d.type().name() + ", id \"" + id + "\"");
        for (Property<?> p : d.type().properties().values())
            if (!p.name().equals("realized") && (d.isSet(p) || p.defaultValue() != null)) println(indent + "  " + p.name() + " = " + shown(d, p));
        for (String line : d.monitorDetails()) println(indent + "  " + line);
        for (QObject c : d.children().values()) {
            if (!(c instanceof DeviceBus b)) continue;
            println(indent + "  bus: " + b.busName());
            println(indent + "    type " + b.type().name());
            for (Device on : b.devices()) qtreeDevice(on, depth + 2);
        }
    }

    /** A property as QEMU's qtree shows it: strings quoted, numbers in decimal and hexadecimal. */
    private static <T> String shown(Device d, Property<T> p) {
        JsonNode v = d.getProperty(p.name());
        if (v.isTextual()) return "\"" + v.textValue() + "\"";
        String formatted = p.type().format(d.get(p));
        if (!formatted.equals(v.asText())) return formatted;   // a type with its own notation (a PCI addr: 02.0)
        if (v.isIntegralNumber() && v.asLong() >= 0) return v.asText() + " (0x" + Long.toHexString(v.asLong()) + ")";
        return v.asText();
    }

    /** QEMU's "info pci", from query-pci. */
    private void infoPci() {
        if (!has("query-pci")) return;
        for (JsonNode bus : call("query-pci", null))
            for (JsonNode d : bus.path("devices")) {
                println(String.format("  Bus %2d, device %3d, function %d:", d.path("bus").asInt(), d.path("slot").asInt(), d.path("function").asInt()));
                JsonNode ci = d.path("class_info");
                String cls = ci.has("desc") ? ci.path("desc").asText() : String.format("Class %04d", ci.path("class").asInt());
                println(String.format("    %s: PCI device %04x:%04x", cls, d.path("id").path("vendor").asInt(), d.path("id").path("device").asInt()));
                if (d.path("id").has("subsystem"))
                    println(String.format("      PCI subsystem %04x:%04x", d.path("id").path("subsystem-vendor").asInt(), d.path("id").path("subsystem").asInt()));
                if (d.has("irq")) println(String.format("      IRQ %d, pin %c", d.path("irq").asInt(), (char) ('A' + d.path("irq_pin").asInt() - 1)));
                for (JsonNode r : d.path("regions")) {
                    long addr = r.path("address").asLong(), end = addr + r.path("size").asLong() - 1;
                    if (r.path("type").asText().equals("io"))
                        println(String.format("      BAR%d: I/O at 0x%04x [0x%04x].", r.path("bar").asInt(), addr, end));
                    else
                        println(String.format("      BAR%d: %d bit%s memory at 0x%08x [0x%08x].", r.path("bar").asInt(),
                                r.path("mem_type_64").asBoolean() ? 64 : 32, r.path("prefetch").asBoolean() ? " prefetchable" : "", addr, end));
                }
                println("      id \"" + d.path("qdev_id").asText() + "\"");
            }
    }

    private void mtree() {
        MemoryRegion root = machine().systemMemory().root();
        println("address-space: memory");
        region(root, 0, 0, 1);
    }

    private void region(MemoryRegion r, long base, int priority, int depth) {
        long end = base + r.size() - 1;
        String kind = switch (r.kind()) {
            case RAM -> "ram";
            case ROM -> "rom";
            case MMIO, CONTAINER -> "i/o";
            case ALIAS -> "i/o";
        };
        String line = String.format("%s%016x-%016x (prio %d, %s): %s", "  ".repeat(depth), base, end, priority, kind, r.name());
        if (r.kind() == MemoryRegion.Kind.ALIAS && r.aliasTarget() != null)
            line += String.format(" @%s %016x-%016x", r.aliasTarget().name(), r.aliasOffset(), r.aliasOffset() + r.size() - 1);
        println(line);
        List<MemoryRegion.Placement> subs = new ArrayList<>(r.subregions());
        subs.sort((x, y) -> Long.compareUnsigned(x.offset(), y.offset()));
        for (MemoryRegion.Placement p : subs) region(p.region(), base + p.offset(), p.priority(), depth + 1);
    }

    // ------------------------------------------------------------------ x / xp

    private void memoryDump(Args a, boolean virtual) {
        String rest = a.raw;
        String fmt = null;
        if (rest.startsWith("/")) {
            int sp = 1;
            while (sp < rest.length() && !Character.isWhitespace(rest.charAt(sp))) sp++;
            fmt = rest.substring(1, sp);
            rest = rest.substring(sp).strip();
        }
        if (rest.isEmpty()) throw new HmpError("unexpected end of expression\nTry \"help " + a.command + "\" for more information");
        MemoryDump.Format f = dump.parse(fmt, a.command);
        long address = expression(rest);
        Machine m = machine();
        MemoryDump.Reader reader;
        if (virtual) {
            Hart h = hart();
            reader = (addr, dst, len) -> h.debug().readMemory(addr, dst, 0, len);
        } else {
            reader = (addr, dst, len) -> {
                try {
                    m.systemMemory().readBytes(addr, dst, 0, len);
                    return len;
                } catch (org.orrery.machine.memory.BusError e) {
                    int n = 0;
                    for (; n < len; n++) {
                        try {
                            m.systemMemory().readBytes(addr + n, dst, n, 1);
                        } catch (org.orrery.machine.memory.BusError e2) {
                            break;
                        }
                    }
                    return n;
                }
            };
        }
        print(dump.render(f, address, reader, virtual));
    }

    // ------------------------------------------------------------------ expressions

    /** A number or register, or a sum/difference of them: 0x80000000, 1234, $pc, $sp+16, $a0 - 8. */
    long expression(String text) {
        String s = text.replace(" ", "");
        if (s.isEmpty()) throw new HmpError("unexpected end of expression");
        long total = 0;
        int i = 0;
        int sign = 1;
        boolean expectTerm = true;
        while (i < s.length()) {
            char ch = s.charAt(i);
            if (!expectTerm && (ch == '+' || ch == '-')) { sign = ch == '+' ? 1 : -1; i++; expectTerm = true; continue; }
            if (expectTerm && ch == '-') { sign = -sign; i++; continue; }
            int j = i;
            if (ch == '$') j++;
            while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
            String term = s.substring(i, j);
            if (term.isEmpty()) throw new HmpError("invalid char '" + ch + "' in expression");
            total += sign * term(term);
            sign = 1;
            expectTerm = false;
            i = j;
        }
        if (expectTerm) throw new HmpError("unexpected end of expression");
        return total;
    }

    private long term(String t) {
        if (t.startsWith("$")) {
            String r = t.substring(1);
            Long v = Registers.read(hart().debug(), r);
            if (v == null) throw new HmpError("unknown register");
            return v;
        }
        return number(t);
    }

    private static long number(String t) {
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) return Long.parseUnsignedLong(t.substring(2), 16);
            if (t.length() > 1 && t.startsWith("0")) return Long.parseUnsignedLong(t.substring(1), 8);
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new HmpError("invalid number '" + t + "'");
        }
    }

    private static String pretty(JsonNode n) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (JsonProcessingException e) {
            return n.toString();
        }
    }

    Hart currentHartOrNull() { return hartOrNull(); }
}
