package org.orrery.launcher;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one table of command-line options Orrery accepts. The launcher only checks spelling
 * and arity here (so a typo fails at once, the QEMU way); what an option means is decided
 * by the Orrery bundles, which receive the whole argument list as {@code orrery.args}.
 * Add a row here when a bundle starts understanding a new option.
 */
enum QemuOption {
    MACHINE("[type=]name[,prop=value...]", "select the emulated machine", "machine", "M"),
    CPU("model", "select the CPU model", "cpu"),
    ACCEL("tcg[,tb-size=MiB][,x-translate=on|off][,x-hot-threshold=N][,x-warmup=N]",
            "select the accelerator: TCG, translating hot guest code to host code (x-translate=off only interprets)", "accel"),
    MEMORY("[size=]megs[,slots=n,maxmem=size]", "set the guest RAM size", "m"),
    SMP("[cpus=]n[,...]", "set the number of harts", "smp"),
    BIOS("file", "set the firmware image", "bios"),
    KERNEL("file", "load a kernel image", "kernel"),
    INITRD("file", "load an initial ram disk", "initrd"),
    APPEND("cmdline", "set the kernel command line", "append"),
    DTB("file", "use a device tree blob instead of the generated one", "dtb"),
    DRIVE("option[,option...]", "define a drive", "drive"),
    BLOCKDEV("option[,option...]", "define a block node", "blockdev"),
    DEVICE("driver[,prop=value...]", "add a device", "device"),
    OBJECT("type,id=id[,prop=value...]", "create an object", "object"),
    CHARDEV("backend,id=id[,...]", "create a character device", "chardev"),
    SERIAL("dev", "redirect the serial port to a character device", "serial"),
    MONITOR("dev", "redirect the human monitor to a character device", "monitor"),
    QMP("dev", "serve QMP on a character device", "qmp"),
    QMP_PRETTY("dev", "serve QMP with pretty-printed JSON", "qmp-pretty"),
    MON("[chardev=]name[,mode=readline|control]", "attach a monitor to a character device", "mon"),
    NOGRAPHIC(null, "no display; serial and monitor on the terminal", "nographic"),
    DISPLAY("type[,...]", "select the display back-end", "display"),
    FREEZE_AT_STARTUP(null, "do not start the CPUs at start-up", "S"),
    PRECONFIG(null, "pause before machine initialisation for configuration", "preconfig"),
    SNAPSHOT(null, "write to temporary files instead of disk images", "snapshot"),
    NAME("string[,...]", "set the guest name", "name"),
    NO_REBOOT(null, "exit instead of rebooting", "no-reboot"),
    NO_SHUTDOWN(null, "stop, do not exit, when the guest shuts down", "no-shutdown"),
    READCONFIG("file", "read a configuration file", "readconfig"),
    LOG_ITEMS("item1[,...]", "enable logging of the given items", "d"),
    LOG_FILE("logfile", "write the log to a file instead of stderr", "D"),
    GDB("dev", "accept a gdb connection on a character device", "gdb"),
    GDB_DEFAULT(null, "shorthand for -gdb tcp::1234", "s"),
    // Orrery's own options.
    DBUS("name=NAME[,addr=ADDRESS]", "serve the D-Bus front-end under a well-known name (session bus unless addr= names another)", "dbus"),
    LOG_LEVEL("level", "platform log (not the guest's -d/-D): off, error, warning (the default), info or debug; one line a record on stderr", "log-level"),
    SHELL(null, "run the Gogo shell on the terminal even while a machine runs", "shell"),
    BUNDLES("dir", "hot-deploy bundle jars dropped into dir (and uninstall deleted ones)", "bundles"),
    VERSION(null, "print the version and exit", "version"),
    HELP(null, "print this help and exit", "h", "help");

    private static final Map<String, QemuOption> BY_SPELLING = Arrays.stream(values())
            .flatMap(option -> option.spellings.stream().map(spelling -> Map.entry(spelling, option)))
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    private final String argumentName;
    private final String description;
    private final List<String> spellings;

    QemuOption(String argumentName, String description, String... spellings) {
        this.argumentName = argumentName;
        this.description = description;
        this.spellings = List.of(spellings);
    }

    /** Looks an option up by its name without dashes, e.g. {@code "m"} or {@code "machine"}. */
    static Optional<QemuOption> bySpelling(String nameWithoutDashes) {
        return Optional.ofNullable(BY_SPELLING.get(nameWithoutDashes));
    }

    boolean takesArgument() {
        return argumentName != null;
    }

    List<String> spellings() {
        return spellings;
    }

    /** One usage line, e.g. {@code -machine|-M [type=]name[,prop=value...]  select the emulated machine}. */
    String usageLine() {
        String names = spellings.stream().map(s -> "-" + s).collect(Collectors.joining("|"));
        String synopsis = takesArgument() ? names + " " + argumentName : names;
        return String.format("%-46s %s", synopsis, description);
    }

    static String usage() {
        return Arrays.stream(values()).map(QemuOption::usageLine).map(line -> "  " + line)
                .collect(Collectors.joining(System.lineSeparator()));
    }
}
