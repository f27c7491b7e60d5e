package org.orrery.machine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.device.Device;
import org.orrery.machine.memory.BusError;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeRegistry;
import org.orrery.qom.Value;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The machine's commands: run control, device hot-plug, memory dumps, and what QEMU's clients query. */
@Component(service = CommandModule.class)
public final class MachineCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final TypeRegistry types;

    @Activate
    public MachineCommands(@Reference TypeRegistry types) {
        this.types = types;
        on("query-status", (a, c) -> {
            Machine m = machine(c);
            return F.objectNode().put("running", m.runState().isRunning()).put("singlestep", false)
                    .put("status", m.runState().qmpName());
        });
        on("stop", (a, c) -> {
            Machine m = machine(c);
            if (m.runState() == RunState.RUNNING) m.pause();
            return F.objectNode();
        });
        on("cont", (a, c) -> { machine(c).resume(); return F.objectNode(); });
        on("system_reset", (a, c) -> { machine(c).reset("host-qmp-system-reset"); return F.objectNode(); });
        on("system_powerdown", (a, c) -> { machine(c).requestPowerdown(); return F.objectNode(); });
        on("quit", (a, c) -> {
            Machine m = machine(c);
            c.tree().events().emit("SHUTDOWN", F.objectNode().put("guest", false).put("reason", "host-qmp-quit"));
            m.quit(0);
            return F.objectNode();
        });
        on("query-name", (a, c) -> {
            ObjectNode r = F.objectNode();
            String n = machine(c).options().guestName();
            if (n != null) r.put("name", n);
            return r;
        });
        on("query-target", (a, c) -> F.objectNode().put("arch", "riscv64"));
        on("query-machines", this::queryMachines);
        on("query-cpus-fast", (a, c) -> {
            ArrayNode out = F.arrayNode();
            Board b = machine(c).board();
            if (b == null) return out;
            int i = 0;
            List<Long> threads = machine(c).hartThreadIds();
            for (CpuDevice cpu : b.cpus()) {
                long tid = i < threads.size() && threads.get(i) >= 0 ? threads.get(i) : ProcessHandle.current().pid();
                ObjectNode o = out.addObject().put("cpu-index", i).put("qom-path", cpu.path()).put("thread-id", tid);
                o.putObject("props").put("core-id", i++); // the virt board's harts are cores of one socket, as QEMU numbers them
                o.put("target", cpu.targetName());
            }
            return out;
        });
        on("x-query-jit", (a, c) -> {
            ArrayNode out = F.arrayNode();
            Board b = machine(c).board();
            if (b == null || !b.isRealized()) return out;
            int i = 0;
            for (Hart h : b.harts()) {
                ObjectNode o = out.addObject().put("cpu-index", i++);
                var s = h.translationStatistics();
                if (s == null) { o.put("engine", "interpreter"); continue; }
                o.put("engine", "translator").put("regions", s.regions()).put("code-bytes", s.codeBytes())
                        .put("code-cache-size", s.capacityBytes()).put("translations", s.translations())
                        .put("shared", s.sharedRegions())
                        .put("translation-ns", s.translationNanos()).put("pending", s.pendingTranslations())
                        .put("discarded", s.discardedTranslations()).put("hits", s.regionEntries()).put("misses", s.interpretedBlocks())
                        .put("translated-instructions", s.translatedInstructions())
                        .put("interpreted-instructions", s.interpretedInstructions()).put("invalidations", s.invalidations())
                        .put("flushes", s.flushes()).put("evictions", s.evictions());
            }
            return out;
        });
        on("device_add", this::deviceAdd);
        on("device_del", (a, c) -> {
            ObjectTree tree = c.tree();
            String id = a.str("id");
            QObject d = id.startsWith("/") ? tree.resolve(id) : tree.resolve("/machine/peripheral/" + id);
            if (d == null) throw new QomException(ErrorClass.DeviceNotFound, "Device '" + id + "' not found");
            if (!(d instanceof Device dev) || d.parent() == null
                    || !(d.parent().path().equals("/machine/peripheral") || d.parent().path().equals("/machine/peripheral-anon")))
                throw new QomException("Device '" + id + "' is part of the board and can not be unplugged");
            dev.checkUnpluggable();
            tree.delete(d, false);
            return F.objectNode();
        });
        on("x-exit-preconfig", (a, c) -> {
            Machine m = machine(c);
            if (m.runState() != RunState.PRECONFIG)
                throw new QomException("The command is permitted only before machine initialization");
            m.build();
            if (!m.options().startPaused() && m.runState() != RunState.SHUTDOWN && m.runState() != RunState.INMIGRATE) m.resume();
            return F.objectNode();
        });
        on("x-machine-init", (a, c) -> { machine(c).createBoard(a.str("type")); return F.objectNode(); });
        on("x-machine-options", (a, c) -> {
            var o = machine(c).options();
            if (a.has("start-paused")) o.setStartPaused(a.bool("start-paused", false));
            if (a.has("incoming")) {
                if (machine(c).runState() != RunState.PRECONFIG) throw new QomException("-incoming can only be chosen before the machine is built");
                o.setIncoming(a.bool("incoming", false));
            }
            if (a.has("no-reboot")) o.setNoReboot(a.bool("no-reboot", false));
            if (a.has("no-shutdown")) o.setNoShutdown(a.bool("no-shutdown", false));
            if (a.has("name")) o.setGuestName(a.str("name"));
            if (a.has("icount-shift") || a.has("icount-sleep")) {
                if (machine(c).runState() != org.orrery.machine.RunState.PRECONFIG)
                    throw new QomException("-icount can only be chosen before the machine is built");
                long shift = a.integer("icount-shift", 0);   // InstructionCounting refuses what is out of range
                o.setInstructionCounting(new org.orrery.machine.MachineOptions.InstructionCounting(
                        (int) Math.max(-1, Math.min(shift, 11)), a.bool("icount-sleep", true)));
            }
            if (a.has("rtc-base")) o.setRtcBase(a.str("rtc-base"));
            if (a.has("rtc-clock")) {
                String clock = a.str("rtc-clock");
                o.setRtcClock(switch (clock) {
                    case "host" -> org.orrery.machine.MachineOptions.RtcClock.HOST;
                    case "rt" -> org.orrery.machine.MachineOptions.RtcClock.RT;
                    case "vm" -> org.orrery.machine.MachineOptions.RtcClock.VM;
                    default -> throw new QomException("invalid option value '" + clock + "'");
                });
            }
            if (a.has("translate") || a.has("tb-size") || a.has("hot-threshold") || a.has("warmup")) {
                var accel = o.acceleration();
                long cache = accel.codeCacheSize();
                if (a.has("tb-size")) {
                    long mib = a.integer("tb-size");
                    if (mib < 1 || mib > 1 << 20) throw new QomException("Parameter 'tb-size' expects a size from 1 to 1048576 (MiB)");
                    cache = mib << 20;
                }
                long hot = a.integer("hot-threshold", accel.hotThreshold()), warmup = a.integer("warmup", accel.warmupInstructions());
                if (hot < 1 || hot > Short.MAX_VALUE) throw new QomException("Parameter 'hot-threshold' expects a number from 1 to " + Short.MAX_VALUE);
                if (warmup < 0) throw new QomException("Parameter 'warmup' expects a non-negative number");
                o.setAcceleration(new org.orrery.machine.cpu.Acceleration(a.bool("translate", accel.translate()), cache, (int) hot, warmup,
                        accel.translationLog()));
            }
            return F.objectNode();
        });
        on("x-global-add", (a, c) -> {
            c.tree().globals().add(new org.orrery.qom.GlobalProperties.Global(a.str("driver"), a.str("property"), a.str("value")));
            return F.objectNode();
        });
        on("x-config-save", (a, c) -> {
            org.orrery.command.CommandJournal journal = c.tree().attachment(org.orrery.command.CommandJournal.class);
            if (journal == null) throw new QomException("this machine keeps no configuration journal");
            try {
                Files.writeString(Path.of(a.str("filename")), journal.toJson().toPrettyString() + "\n");
            } catch (IOException e) {
                throw new QomException("Could not write '" + a.str("filename") + "': " + e.getMessage());
            }
            return F.objectNode();
        });
        on("memsave", (a, c) -> dump(c, a, true));
        on("pmemsave", (a, c) -> dump(c, a, false));
    }

    private static Machine machine(CommandContext c) {
        Machine m = c.tree().attachment(Machine.class);
        if (m == null) throw new QomException("this command needs a machine");
        return m;
    }

    private JsonNode queryMachines(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        for (ObjectType t : types.list("machine", false)) {
            String name = t.name().endsWith("-machine") ? t.name().substring(0, t.name().length() - "-machine".length()) : t.name();
            ObjectNode o = out.addObject().put("name", name);
            if (name.equals("virt")) o.put("is-default", true);
            o.put("cpu-max", 1).put("hotpluggable-cpus", false).put("numa-mem-supported", false).put("deprecated", false);
        }
        return out;
    }

    private JsonNode deviceAdd(Arguments a, CommandContext c) {
        ObjectTree tree = c.tree();
        Machine m = machine(c);
        String driver = a.str("driver");
        ObjectType t = types.find(driver).orElseThrow(() -> {
            String why = types.unavailable().get(driver);
            return new QomException(why != null ? "'" + driver + "' is not available: " + why : "'" + driver + "' is not a valid device model name");
        });
        if (!t.isA("device") || t.isA("cpu") || t.isA("machine"))
            throw new QomException("'" + driver + "' is not a valid device model name");
        if (t.isAbstract()) throw new QomException("Parameter 'driver' expects a non-abstract device type");
        String id = a.str("id", null);
        QObject holder = tree.container(id != null ? "/machine/peripheral" : "/machine/peripheral-anon");
        if (tree.resolve("/machine") == null)
            throw new QomException("No machine specified: choose one with -machine before adding devices");
        if (id != null && holder.child(id) != null) throw new QomException("Duplicate ID '" + id + "' for device");
        Board b = m.board();
        boolean built = b != null && b.isRealized();
        if (!(tree.create(driver) instanceof Device d)) throw new QomException("'" + driver + "' is not a valid device model name");
        // the bus comes first, as in QEMU: on a built machine a wrong bus= is reported before any property
        String bus = a.str("bus", null);
        if (bus != null) d.requestBus(bus);
        if (built) {
            d.markHotplugged();
            d.chooseBus();
        }
        for (Map.Entry<String, Value> p : a.extra().entrySet()) d.setProperty(p.getKey(), p.getValue());
        holder.addChild(id != null ? id : holder.freeChildName("device"), d);
        if (built) {
            try {
                d.realize();
            } catch (RuntimeException e) {
                tree.discard(d);
                throw e;
            }
        }
        return F.objectNode();
    }

    private static JsonNode dump(CommandContext c, Arguments a, boolean virtual) {
        Machine m = machine(c);
        long addr = a.integer("val"), size = a.integer("size");
        if (size < 0 || size > (1L << 32)) throw new QomException("Invalid size " + size);
        Path file = Path.of(a.str("filename"));
        byte[] buf = new byte[(int) Math.min(size, 1 << 16)];
        Hart hart = null;
        if (virtual) {
            Board b = m.board();
            List<Hart> harts = b == null || !b.isRealized() ? List.of() : b.harts();
            int idx = (int) a.integer("cpu-index", 0);
            if (idx < 0 || idx >= harts.size()) throw new QomException("Invalid parameter 'cpu-index'");
            hart = harts.get(idx);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            long done = 0;
            while (done < size) {
                int n = (int) Math.min(buf.length, size - done);
                if (virtual) {
                    int got = hart.debug().readMemory(addr + done, buf, 0, n);
                    if (got < n) throw new QomException(String.format("Invalid addr 0x%x/size %d specified", addr + done + got, size));
                } else {
                    try {
                        m.systemMemory().readBytes(addr + done, buf, 0, n);
                    } catch (BusError e) {
                        throw new QomException(String.format("Invalid addr 0x%x/size %d specified", e.address(), size));
                    }
                }
                out.write(buf, 0, n);
                done += n;
            }
        } catch (IOException e) {
            throw new QomException("Could not open '" + file + "': " + e.getMessage());
        }
        return F.objectNode();
    }
}
