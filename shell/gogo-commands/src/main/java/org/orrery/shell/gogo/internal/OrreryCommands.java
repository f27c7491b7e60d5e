package org.orrery.shell.gogo.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.felix.service.command.Descriptor;
import org.orrery.command.CommandLayer;
import org.orrery.command.SchemaEntity;
import org.orrery.machine.Machine;
import org.orrery.machine.MachineManager;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.device.Board;
import org.orrery.machine.memory.BusError;
import org.orrery.qom.Keyval;
import org.orrery.qom.ObjectType;
import org.orrery.qom.TypeRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Human-friendly Gogo commands in scope {@code orrery}. Each goes through the command layer where a command
 * exists (qom-*, device_add, query-status ...); registers and memory are read through the hart's debug
 * interface on the machine thread. Every command returns its text (Gogo prints it, pipes and variables get it)
 * and never needs a terminal.
 */
@Component(service = OrreryCommands.class, property = {
        "osgi.command.scope=orrery",
        "osgi.command.function=types", "osgi.command.function=tree", "osgi.command.function=get",
        "osgi.command.function=set", "osgi.command.function=add", "osgi.command.function=del",
        "osgi.command.function=status", "osgi.command.function=stop", "osgi.command.function=cont",
        "osgi.command.function=reset", "osgi.command.function=regs", "osgi.command.function=x",
        "osgi.command.function=xp", "osgi.command.function=bundles", "osgi.command.function=help",
        // below felix:help, so a bare "help" keeps meaning Gogo's own
        "service.ranking:Integer=-10"})
public final class OrreryCommands {
    private static final String[] ABI = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    private final Shell shell;
    private final TypeRegistry types;

    @Activate
    public OrreryCommands(@Reference CommandLayer layer, @Reference MachineManager machines, @Reference TypeRegistry types) {
        this.shell = new Shell(layer, machines);
        this.types = types;
    }

    // ------------------------------------------------------------------ types and the tree

    @Descriptor("list the types installed now (name, parent, abstract)")
    public String types() { return types(null); }

    @Descriptor("list the types whose name contains FILTER or that are or implement FILTER")
    public String types(@Descriptor("a part of a type name, or a type they must implement") String filter) {
        JsonNode all = shell.callJson("qom-list-types", Shell.F.objectNode().put("abstract", true));
        List<String> implementing = new ArrayList<>();
        if (filter != null)
            for (JsonNode t : shell.callJson("qom-list-types", Shell.F.objectNode().put("abstract", true).put("implements", filter)))
                implementing.add(t.path("name").asText());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"NAME", "PARENT", "ABSTRACT"});
        List<JsonNode> sorted = new ArrayList<>();
        all.forEach(sorted::add);
        sorted.sort((a, b) -> a.path("name").asText().compareTo(b.path("name").asText()));
        for (JsonNode t : sorted) {
            String n = t.path("name").asText();
            if (filter != null && !n.contains(filter) && !implementing.contains(n)) continue;
            rows.add(new String[]{n, t.path("parent").asText(""), t.path("abstract").asBoolean() ? "yes" : ""});
        }
        if (rows.size() == 1) return "no type matches '" + filter + "'";
        return Shell.columns(rows);
    }

    @Descriptor("show the composition tree from /, indented, with each object's type")
    public String tree() { return tree("/"); }

    @Descriptor("show the composition tree below PATH")
    public String tree(@Descriptor("an absolute or partial object path") String path) {
        StringBuilder b = new StringBuilder();
        String type = path.equals("/") ? "container" : typeOf(path);
        b.append(path).append(" (").append(type).append(")\n");
        children(path.equals("/") ? "" : path, 1, b);
        return b.toString();
    }

    private String typeOf(String path) {
        JsonNode t = shell.callJson("qom-get", Shell.F.objectNode().put("path", path).put("property", "type"));
        return t.asText();
    }

    private void children(String path, int depth, StringBuilder b) {
        JsonNode props = shell.callJson("qom-list", Shell.F.objectNode().put("path", path.isEmpty() ? "/" : path));
        for (JsonNode p : props) {
            String t = p.path("type").asText();
            if (!t.startsWith("child<")) continue;
            String name = p.path("name").asText();
            // QEMU's info qom-tree layout: each child as /name, indented by depth
            b.append("  ".repeat(depth)).append("/").append(name).append(" (").append(t, 6, t.length() - 1).append(")\n");
            children(path + "/" + name, depth + 1, b);
        }
    }

    @Descriptor("read a property of an object")
    public String get(@Descriptor("object path") String path, @Descriptor("property name") String property) {
        return Shell.format(shell.callJson("qom-get", Shell.F.objectNode().put("path", path).put("property", property)));
    }

    @Descriptor("write a property of an object (the value as on the command line: on, 0x1000, 256M)")
    public String set(@Descriptor("object path") String path, @Descriptor("property name") String property,
                      @Descriptor("new value") String value) {
        var args = Shell.F.objectNode().put("path", path).put("property", property);
        args.set("value", Shell.textTree(value));
        shell.callText("qom-set", args);
        return null;
    }

    @Descriptor("create a device (device_add) or an object (object-add), depending on TYPE")
    public String add(@Descriptor("the type") String type, @Descriptor("id=ID and properties as key=value") String... properties) {
        var args = Shell.F.objectNode();
        for (String p : properties) args.setAll(Keyval.parse(p, null));
        boolean device = false;
        for (JsonNode t : shell.callJson("qom-list-types", Shell.F.objectNode().put("implements", "device")))
            if (t.path("name").asText().equals(type)) device = true;
        if (device) {
            args.put("driver", type);
            shell.callText("device_add", args);
        } else {
            if (!args.has("id")) throw new CommandFailed("objects need an id: add " + type + " id=NAME ...");
            args.put("qom-type", type);
            shell.callText("object-add", args);
        }
        return null;
    }

    @Descriptor("delete a device (device_del) or an object (object-del) by id")
    public String del(@Descriptor("the device's or object's id") String id) {
        boolean device = id.startsWith("/machine") || exists("/machine/peripheral/" + id);
        if (device) shell.callText("device_del", Shell.F.objectNode().put("id", id));
        else if (exists("/objects/" + id)) shell.callText("object-del", Shell.F.objectNode().put("id", id));
        else throw new CommandFailed("no device or object '" + id + "'");
        return null;
    }

    private boolean exists(String path) {
        try {
            shell.callJson("qom-list", Shell.F.objectNode().put("path", path));
            return true;
        } catch (CommandFailed e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ run control

    @Descriptor("show the machine's run state")
    public String status() {
        JsonNode s = shell.callJson("query-status", null);
        String st = s.path("status").asText();
        if (s.path("running").asBoolean()) return "VM status: running";
        return "VM status: paused" + (st.equals("paused") ? "" : " (" + st + ")");
    }

    @Descriptor("pause the guest")
    public String stop() { shell.callJson("stop", null); return null; }

    @Descriptor("start or resume the guest")
    public String cont() { shell.callJson("cont", null); return null; }

    @Descriptor("reset the machine")
    public String reset() { shell.callJson("system_reset", null); return null; }

    // ------------------------------------------------------------------ registers and memory

    @Descriptor("show the registers of hart 0")
    public String regs() {
        Machine m = shell.machine();
        return m.call(() -> {
            HartDebug d = hart(m).debug();
            StringBuilder b = new StringBuilder();
            b.append(String.format("pc       %016x  privilege %s%n", d.pc(), switch (d.privilege()) {
                case 0 -> "U"; case 1 -> "S"; case 3 -> "M"; default -> "?"; }));
            for (int i = 0; i < 32; i++) {
                b.append(String.format("%-8s %016x", "x" + i + "/" + ABI[i], d.gpr(i)));
                b.append(i % 4 == 3 ? "\n" : "  ");
            }
            return b.toString();
        });
    }

    @Descriptor("dump 64 bytes of memory as hart 0 sees it (virtual addresses)")
    public String x(@Descriptor("address (0x... or decimal)") String address) { return x(address, "64"); }

    @Descriptor("dump COUNT bytes of memory as hart 0 sees it (virtual addresses)")
    public String x(@Descriptor("address") String address, @Descriptor("number of bytes") String count) {
        long a = number(address);
        int n = (int) Math.min(number(count), 1 << 20);
        Machine m = shell.machine();
        return m.call(() -> {
            byte[] buf = new byte[n];
            int got = hart(m).debug().readMemory(a, buf, 0, n);
            return hexdump(a, buf, got, n);
        });
    }

    @Descriptor("dump 64 bytes of physical memory")
    public String xp(@Descriptor("physical address") String address) { return xp(address, "64"); }

    @Descriptor("dump COUNT bytes of physical memory")
    public String xp(@Descriptor("physical address") String address, @Descriptor("number of bytes") String count) {
        long a = number(address);
        int n = (int) Math.min(number(count), 1 << 20);
        Machine m = shell.machine();
        return m.call(() -> {
            byte[] buf = new byte[n];
            int got = 0;
            for (; got < n; got++) {
                try {
                    m.systemMemory().readBytes(a + got, buf, got, 1);
                } catch (BusError e) {
                    break;
                }
            }
            return hexdump(a, buf, got, n);
        });
    }

    private static Hart hart(Machine m) {
        Board b = m.board();
        if (b == null || !b.isRealized() || b.harts().isEmpty()) throw new CommandFailed("the machine has no CPU yet");
        return b.harts().get(0);
    }

    static long number(String s) {
        String t = s.strip().replace("_", "");
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) return Long.parseUnsignedLong(t.substring(2), 16);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new CommandFailed("not a number: '" + s + "'");
        }
    }

    static String hexdump(long address, byte[] buf, int got, int wanted) {
        StringBuilder b = new StringBuilder();
        for (int off = 0; off < got; off += 16) {
            b.append(String.format("%016x  ", address + off));
            StringBuilder ascii = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (off + i < got) {
                    int v = buf[off + i] & 0xff;
                    b.append(String.format("%02x ", v));
                    ascii.append(v >= 32 && v < 127 ? (char) v : '.');
                } else {
                    b.append("   ");
                }
                if (i == 7) b.append(' ');
            }
            b.append(" |").append(ascii).append("|\n");
        }
        if (got < wanted) b.append(String.format("%016x  cannot access memory%n", address + got));
        return b.toString();
    }

    // ------------------------------------------------------------------ bundles and help

    @Descriptor("show which bundle provides which types")
    public String bundles() {
        Map<String, List<String>> by = new TreeMap<>();
        for (ObjectType t : types.list(null, true)) by.computeIfAbsent(t.provider(), k -> new ArrayList<>()).add(t.name());
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<String>> e : by.entrySet()) {
            List<String> names = new ArrayList<>(e.getValue());
            names.sort(null);
            b.append(e.getKey()).append(": ").append(String.join(", ", names)).append('\n');
        }
        return b.toString();
    }

    @Descriptor("list the orrery and qmp commands")
    public String help() {
        StringBuilder b = new StringBuilder("orrery commands:\n");
        List<String[]> rows = new ArrayList<>();
        for (Method m : OrreryCommands.class.getMethods()) {
            Descriptor d = m.getAnnotation(Descriptor.class);
            if (d == null || m.getParameterCount() > 0 && m.getName().equals("help")) continue;
            if (rows.stream().anyMatch(r -> r[0].equals("  orrery:" + m.getName()))) continue;
            rows.add(new String[]{"  orrery:" + m.getName(), d.value()});
        }
        rows.sort((x, y) -> x[0].compareTo(y[0]));
        b.append(Shell.columns(rows));
        b.append("qmp commands (key=value arguments; 'orrery:help NAME' or 'qmp:NAME --help' for details):\n");
        List<String[]> q = new ArrayList<>();
        for (SchemaEntity.Command c : shell.layer().commands()) q.add(new String[]{"  qmp:" + c.name(), firstSentence(c.doc())});
        b.append(Shell.columns(q));
        return b.toString();
    }

    @Descriptor("show the documentation of a command (qmp:NAME, NAME or orrery:NAME)")
    public String help(@Descriptor("the command") String command) {
        String c = command.startsWith("qmp:") ? command.substring(4) : command;
        if (c.startsWith("orrery:") || shell.layer().command(c).isEmpty()) {
            String name = c.startsWith("orrery:") ? c.substring(7) : c;
            StringBuilder b = new StringBuilder();
            for (Method m : OrreryCommands.class.getMethods()) {
                if (!m.getName().equals(name) || m.getAnnotation(Descriptor.class) == null) continue;
                b.append("orrery:").append(name);
                for (var p : m.getParameters()) {
                    Descriptor d = p.getAnnotation(Descriptor.class);
                    b.append(' ').append(p.isVarArgs() ? "[" : "").append(d == null ? p.getName() : d.value().split(" ")[0])
                            .append(p.isVarArgs() ? " ...]" : "");
                }
                b.append("\n  ").append(m.getAnnotation(Descriptor.class).value()).append('\n');
            }
            if (b.isEmpty()) throw new CommandFailed("no command '" + command + "'");
            return b.toString();
        }
        return QmpFunctions.describe(shell, c);
    }

    private static String firstSentence(String doc) {
        if (doc == null) return "";
        int dot = doc.indexOf(". ");
        return dot < 0 ? doc : doc.substring(0, dot + 1);
    }
}
