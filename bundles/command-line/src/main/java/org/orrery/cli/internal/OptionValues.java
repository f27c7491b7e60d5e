package org.orrery.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.Keyval;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Option values checked before anything is built, in QEMU's sense: the key=value syntax of every option
 * that has it, the keys -m and -smp know, and the type and range of their values. What depends on the
 * machine type (how many harts a board takes, whether its RAM can be had) is the board's to say.
 */
final class OptionValues {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Options written as key=value lists, with the key a leading bare word stands for. */
    private static final Map<String, String> KEYVAL_OPTIONS = Map.of("machine", "type", "device", "driver", "object", "qom-type",
            "chardev", "backend", "drive", "", "blockdev", "", "mon", "chardev", "dbus", "name", "name", "guest", "display", "type");
    private static final Set<String> MEMORY_KEYS = Set.of("size", "slots", "maxmem");
    private static final Set<String> NAME_KEYS = Set.of("guest", "process", "debug-threads");
    private static final Set<String> RTC_KEYS = Set.of("base", "clock", "driftfix");
    private static final Set<String> GLOBAL_KEYS = Set.of("driver", "property", "value");
    private static final Set<String> ICOUNT_KEYS = Set.of("shift", "sleep", "align", "rr", "rrfile", "rrsnapshot");
    /** The shift -icount shift=auto starts from (QEMU then adapts it to the host's speed; Orrery keeps it). */
    static final int ICOUNT_AUTO_SHIFT = 3;

    /** What -icount asked for once checked. */
    record Icount(int shift, boolean sleep) { }

    /** One -global: a property default for a type. */
    record Global(String driver, String property, String value) { }
    private static final List<String> TOPOLOGY = List.of("sockets", "dies", "clusters", "cores", "threads");

    /** What -smp asked for once checked: the number of harts, or null when -smp gave none. */
    record Smp(Long cpus) { }

    private OptionValues() { }

    /** Checks every option's syntax and the values that need no machine; the first problem is thrown. */
    static void check(List<Option> options) {
        for (Option o : options) {
            String implied = KEYVAL_OPTIONS.get(o.name());
            if (implied != null) keyval(o, implied.isEmpty() ? null : implied);
            switch (o.name()) {
                case "m" -> ramSize(o);
                case "smp" -> smp(o);
                case "name" -> knownKeys(o, keyval(o, "guest"), NAME_KEYS);
                case "global" -> global(o);
                case "rtc" -> rtc(o);
                case "icount" -> icount(o);
                default -> { }
            }
        }
    }

    static ObjectNode keyval(Option o, String impliedKey) {
        try {
            return Keyval.parse(o.argument(), impliedKey);
        } catch (QomException e) {
            throw new CommandLineException(o, e.getMessage());
        }
    }

    /** -m [size=]N[suffix][,slots=N,maxmem=SIZE]: the RAM size in bytes (a bare number is MiB, as in QEMU). */
    static long ramSize(Option o) {
        ObjectNode m = keyval(o, "size");
        knownKeys(o, m, MEMORY_KEYS);
        if (m.has("slots")) integer(o, "slots", m.get("slots").textValue());
        if (m.has("maxmem")) size(o, "maxmem", m.get("maxmem").textValue());
        if (!m.has("size")) throw new CommandLineException(o, "Parameter 'size' is missing");
        return size(o, "size", m.get("size").textValue());
    }

    /**
     * -global DRIVER.PROPERTY=VALUE (the value is everything after the first '=', commas included) or
     * -global driver=D,property=P,value=V, as QEMU reads them.
     */
    static Global global(Option o) {
        String text = o.argument();
        int eq = text.indexOf('=');
        int dot = text.indexOf('.');
        if (dot > 0 && eq > dot + 1 && !text.substring(0, eq).contains(",") && !text.startsWith("driver="))
            return new Global(text.substring(0, dot), text.substring(dot + 1, eq), text.substring(eq + 1));
        if (eq < 0 || dot == 0) throw new CommandLineException(o, "Invalid parameter '" + (eq < 0 ? text : text.substring(0, eq)) + "'");
        ObjectNode g = keyval(o, null);
        knownKeys(o, g, GLOBAL_KEYS);
        if (!g.has("driver") || !g.has("property") || !g.has("value"))
            throw new CommandLineException(o, "options 'driver', 'property', and 'value' are required");
        return new Global(g.get("driver").textValue(), g.get("property").textValue(), g.get("value").textValue());
    }

    /** -rtc [base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew]: the checked values. */
    static ObjectNode rtc(Option o) {
        ObjectNode r = keyval(o, null);
        knownKeys(o, r, RTC_KEYS);
        if (r.has("clock") && !Set.of("host", "rt", "vm").contains(r.get("clock").textValue()))
            throw new CommandLineException(o, "invalid option value '" + abbreviate(r.get("clock").textValue()) + "'");
        if (r.has("driftfix") && !Set.of("none", "slew").contains(r.get("driftfix").textValue()))
            throw new CommandLineException(o, "invalid option value '" + abbreviate(r.get("driftfix").textValue()) + "'");
        if (r.has("base")) {
            try {
                new org.orrery.machine.MachineOptions().setRtcBase(r.get("base").textValue());
            } catch (QomException e) {
                throw new CommandLineException(o, e.getMessage());
            }
        }
        return r;
    }

    /**
     * -icount [shift=]N|auto[,sleep=on|off][,align=off]: virtual time from retired instructions. align=on and
     * record/replay (rr=) are refused: Orrery neither slows the guest to the host's clock nor records.
     */
    static Icount icount(Option o) {
        ObjectNode v = keyval(o, "shift");
        knownKeys(o, v, ICOUNT_KEYS);
        String shift = v.has("shift") ? v.get("shift").textValue() : "0";
        int n;
        if (shift.equals("auto")) {
            n = ICOUNT_AUTO_SHIFT;
        } else {
            try {
                n = Integer.parseInt(shift);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0 || n > 10) throw new CommandLineException(o, "icount: Invalid shift value");
        }
        boolean sleep = true;
        if (v.has("sleep")) {
            String s = v.get("sleep").textValue();
            if (!s.equals("on") && !s.equals("off")) throw new CommandLineException(o, "Parameter 'sleep' expects 'on' or 'off'");
            sleep = s.equals("on");
        }
        if (v.has("align") && !v.get("align").textValue().equals("off"))
            throw new CommandLineException(o, "align=on is not supported: Orrery does not slow the guest down to the host's clock");
        if (v.has("rr") || v.has("rrfile") || v.has("rrsnapshot"))
            throw new CommandLineException(o, "record/replay (rr=) is not supported");
        return new Icount(n, sleep);
    }

    /** Refuses keys the option does not have, and keys given twice, as QEMU does. */
    private static void knownKeys(Option o, ObjectNode values, Set<String> known) {
        for (Iterator<String> it = values.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) throw new CommandLineException(o, "Invalid parameter '" + key + "'");
            if (!values.get(key).isTextual()) throw new CommandLineException(o, "Parameter '" + key + "' is given more than once");
        }
    }

    private static long size(Option o, String key, String text) {
        String t = text.strip();
        // QEMU reads a number without a suffix as mebibytes
        boolean bare = !t.isEmpty() && Character.isDigit(t.charAt(t.length() - 1)) && !t.startsWith("0x") && !t.startsWith("0X");
        try {
            return Value.ofText(key, bare ? t + "M" : t).asSize();
        } catch (QomException e) {
            // said of what the user wrote, not of the mebibytes it stands for
            throw new CommandLineException(o, e.getMessage().replace("'" + t + "M'", "'" + abbreviate(t) + "'"));
        }
    }

    /**
     * -smp [cpus=]N[,maxcpus=N][,sockets=N,dies=N,clusters=N,cores=N,threads=N], completed and checked as
     * QEMU does: missing counts are derived from the others (cores before sockets, threads last), the
     * hierarchy must multiply to maxcpus and maxcpus must cover cpus. The virt board has no dies or clusters.
     */
    static Smp smp(Option o) {
        ObjectNode s = keyval(o, "cpus");
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("cpus") && !key.equals("maxcpus") && !TOPOLOGY.contains(key))
                throw new CommandLineException(o, "Parameter 'smp." + key + "' is unexpected");
        }
        long cpus = smpCount(o, s, "cpus"), maxCpus = smpCount(o, s, "maxcpus");
        long sockets = smpCount(o, s, "sockets"), cores = smpCount(o, s, "cores"), threads = smpCount(o, s, "threads");
        for (String level : List.of("dies", "clusters"))
            if (smpCount(o, s, level) > 1) throw new CommandLineException(o, level + " not supported by this machine's CPU topology");
        if (cpus == 0 && maxCpus == 0) {
            sockets = Math.max(sockets, 1);
            cores = Math.max(cores, 1);
            threads = Math.max(threads, 1);
        } else {
            if (maxCpus == 0) maxCpus = cpus;
            if (cores == 0) {
                sockets = Math.max(sockets, 1);
                threads = Math.max(threads, 1);
                cores = maxCpus / (sockets * threads);
            } else if (sockets == 0) {
                threads = Math.max(threads, 1);
                sockets = maxCpus / (cores * threads);
            }
            if (threads == 0) threads = maxCpus / (sockets * cores);
        }
        long product;
        try {
            product = Math.multiplyExact(Math.multiplyExact(sockets, cores), threads);
        } catch (ArithmeticException e) {
            throw new CommandLineException(o, "Invalid CPU topology: sockets (" + sockets + ") * cores (" + cores + ") * threads ("
                    + threads + ") is too large");
        }
        if (maxCpus == 0) maxCpus = product;
        if (cpus == 0) cpus = maxCpus;
        String hierarchy = "sockets (" + sockets + ") * cores (" + cores + ") * threads (" + threads + ")";
        if (product != maxCpus)
            throw new CommandLineException(o, "Invalid CPU topology: product of the hierarchy must match maxcpus: "
                    + hierarchy + " != maxcpus (" + maxCpus + ")");
        if (maxCpus < cpus)
            throw new CommandLineException(o, "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
                    + hierarchy + " == maxcpus (" + maxCpus + ") < smp_cpus (" + cpus + ")");
        return new Smp(cpus);
    }

    /** One count of -smp, 0 when not given (QEMU's "absent"). */
    private static long smpCount(Option o, ObjectNode s, String key) {
        Long v = smpValue(o, s, key);
        return v == null ? 0 : v;
    }

    private static Long smpValue(Option o, ObjectNode s, String key) {
        JsonNode n = s.get(key);
        if (n == null) return null;
        if (!n.isTextual()) throw new CommandLineException(o, "Parameter 'smp." + key + "' is given more than once");
        long v = integer(o, "smp." + key, n.textValue());
        if (v == 0) throw new CommandLineException(o, "Parameter 'smp." + key + "' must be greater than zero");
        return v;
    }

    /** A non-negative integer that fits a long, in QEMU's words when it is not one. */
    private static long integer(Option o, String key, String text) {
        String t = text.strip();
        try {
            BigInteger v = t.startsWith("0x") || t.startsWith("0X") ? new BigInteger(t.substring(2), 16) : new BigInteger(t);
            if (v.signum() >= 0 && v.bitLength() < 63) return v.longValue();
        } catch (NumberFormatException e) {
            // said below
        }
        throw new CommandLineException(o, "Parameter '" + key + "' expects a non-negative integer, got '" + abbreviate(t) + "'");
    }

    /** Long input is quoted by its start only, so the message stays one readable line. */
    static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 60) + "...";
    }

    /** The RAM size as the JSON number qom-set takes (unsigned: sizes above 2^63 stay positive). */
    static JsonNode sizeJson(long bytes) {
        return bytes >= 0 ? F.numberNode(bytes) : F.numberNode(new BigInteger(Long.toUnsignedString(bytes)));
    }
}
