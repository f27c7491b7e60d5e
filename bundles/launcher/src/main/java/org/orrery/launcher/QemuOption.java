package org.orrery.launcher;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one table of command-line options: every option Orrery accepts, and the QEMU options people's
 * published command lines use that Orrery refuses, each with how well it is supported. The launcher checks
 * spelling and arity here (so a typo fails at once, the QEMU way) and refuses the refused options with
 * their reason; what an option means is decided by the Orrery bundles, which receive the whole argument
 * list as {@code orrery.args}. README.md's table of QEMU options is generated from this table (a test
 * fails when it is stale). Add a row here when a bundle starts understanding a new option.
 */
enum QemuOption {
    MACHINE("[type=]name[,prop=value...]", "select the emulated machine",
            partly("virt only; its properties are the board's (dumpdtb, memory-backend, ...): aia, acpi and the other virt properties are refused"), "machine", "M"),
    CPU("model[,ext=on|off...]", "select the CPU model and its extensions",
            partly("rv64 and rv32; the extensions the hart has are boolean properties (m, a, f, d, c, s, u, sstc), given as -global CPU.EXT=on|off as QEMU does; others are refused as QEMU refuses unknown properties"), "cpu"),
    ACCEL("tcg[,tb-size=MiB][,thread=single|multi][,x-translate=on|off][,x-hot-threshold=N][,x-warmup=N]", "select the accelerator: TCG, translating hot guest code to host code (x-translate=off only interprets)",
            partly("tcg only (there is no KVM); tb-size caps each hart's translated code; thread= is accepted (every hart has its own thread either way)"), "accel"),
    MEMORY("[size=]megs[,slots=n,maxmem=size]", "set the guest RAM size",
            partly("slots= and maxmem= are checked but there is no memory hot-plug"), "m"),
    SMP("[cpus=]n[,...]", "set the number of harts",
            partly("up to 64 harts on virt, each on its own host thread; cpus=, sockets=, cores=, threads= and maxcpus= are checked as QEMU checks them; there is no CPU hot-plug"), "smp"),
    BIOS("file", "set the firmware image", supported(), "bios"),
    KERNEL("file", "load a kernel image", supported(), "kernel"),
    INITRD("file", "load an initial ram disk", supported(), "initrd"),
    APPEND("cmdline", "set the kernel command line", supported(), "append"),
    DTB("file", "use a device tree blob instead of the generated one", supported(), "dtb"),
    DRIVE("option[,option...]", "define a drive",
            partly("if=none and if=virtio (a virtio-blk-pci, as on QEMU's virt), format=raw or qcow2; if=pflash, ide, scsi, sd and mtd are refused"), "drive"),
    BLOCKDEV("option[,option...]", "define a block node", partly("the block drivers installed (file, raw, qcow2)"), "blockdev"),
    DEVICE("driver[,prop=value...]", "add a device", supported(), "device"),
    GLOBAL("driver.prop=value", "set a property default for every device of a type (also driver=,property=,value=)", supported(), "global"),
    OBJECT("type,id=id[,prop=value...]", "create an object", supported(), "object"),
    CHARDEV("backend,id=id[,...]", "create a character device",
            partly("socket, stdio, pty, file, null and ringbuf backends, mux=on; pipe, udp, serial and the others are refused"), "chardev"),
    NETDEV("user|socket|stream|dgram,id=id[,...]", "define a network back-end",
            partly("user (DHCP, DNS, TFTP, TCP/UDP NAT, hostfwd, restrict), socket (listen, connect, udp), stream and dgram; tap, bridge, vhost-user and the others are refused"), "netdev"),
    NIC("[user|none][,model=type][,mac=addr][,...]", "add a network card with its back-end",
            partly("the -netdev back-ends; the card is a virtio-net-pci unless model= names another"), "nic"),
    SERIAL("dev", "redirect the serial port to a character device", supported(), "serial"),
    MONITOR("dev", "redirect the human monitor to a character device", supported(), "monitor"),
    QMP("dev", "serve QMP on a character device", supported(), "qmp"),
    QMP_PRETTY("dev", "serve QMP with pretty-printed JSON", supported(), "qmp-pretty"),
    MON("[chardev=]name[,mode=readline|control]", "attach a monitor to a character device", supported(), "mon"),
    NOGRAPHIC(null, "no display; serial and monitor on the terminal", supported(), "nographic"),
    DISPLAY("type[,...]", "select the display back-end", partly("none, and vnc=DISPLAY (as -vnc); there is no window (gtk, sdl): watch the screen with -vnc or screendump"), "display"),
    VNC("display[,password=on]", "serve the display over VNC (RFB 3.8)",
            partly(":N (port 5900+N; loopback unless a host is given, where QEMU listens on every address), HOST:N, unix:PATH, password=on (set_password); no TLS, SASL or websockets"), "vnc"),
    RTC("[base=utc|localtime|date][,clock=host|rt|vm][,driftfix=none|slew]", "set the real-time clock's start and time source",
            partly("base= and clock= as QEMU; without clock= the RTC follows the machine's virtual time (QEMU's default is host); driftfix= is accepted and, as on QEMU's RISC-V, has no effect"), "rtc"),
    ICOUNT("[shift=]N|auto[,sleep=on|off]", "make virtual time count instructions (deterministic runs)",
            partly("one hart; shift=auto keeps shift 3 (QEMU adapts it); align=on and record/replay (rr=) are refused"), "icount"),
    FREEZE_AT_STARTUP(null, "do not start the CPUs at start-up", supported(), "S"),
    PRECONFIG(null, "pause before machine initialisation for configuration", supported(), "preconfig"),
    SNAPSHOT(null, "write to temporary files instead of disk images", supported(), "snapshot"),
    NAME("string[,...]", "set the guest name", supported(), "name"),
    NO_REBOOT(null, "exit instead of rebooting", supported(), "no-reboot"),
    NO_SHUTDOWN(null, "stop, do not exit, when the guest shuts down", supported(), "no-shutdown"),
    READCONFIG("file", "read a configuration file",
            partly("x-config-save's JSON command lists, and QEMU's INI sections machine, device, drive, chardev, object, memory, smp-opts, name, global, rtc and accel"), "readconfig"),
    LOG_ITEMS("item1[,...]", "enable logging of the given items", partly("the items -d help lists (guest_errors, unimp, in_asm, ...)"), "d"),
    LOG_FILE("logfile", "write the log to a file instead of stderr", supported(), "D"),
    GDB("dev", "accept a gdb connection on a character device", supported(), "gdb"),
    GDB_DEFAULT(null, "shorthand for -gdb tcp::1234", supported(), "s"),
    VERSION(null, "print the version and exit", supported(), "version"),
    HELP(null, "print this help and exit", supported(), "h", "help"),
    // QEMU options that published command lines use and Orrery refuses, with the reason.
    ENABLE_KVM(null, "enable KVM", refused("there is no KVM: Orrery emulates the harts itself (-accel tcg)"), "enable-kvm"),
    NET("type[,...]", "legacy network options", refused("the legacy hub of -net is not modelled: use -netdev with -device, or -nic"), "net"),
    VGA("type", "select a video card", refused("virt has no VGA; add a display device: -device virtio-gpu-device (or virtio-gpu-pci)"), "vga"),
    SPICE("option[,...]", "serve the display over SPICE", refused("no SPICE server; use -vnc"), "spice"),
    USB(null, "enable the USB controller", refused("virt has no USB controller here"), "usb"),
    USB_DEVICE("name", "add a USB device", refused("virt has no USB controller here"), "usbdevice"),
    AUDIODEV("driver,id=id[,...]", "define an audio back-end", refused("there is no sound device"), "audiodev"),
    PFLASH("file", "use a file as a parallel flash image", refused("virt's flash banks are not modelled (give firmware with -bios or -kernel)"), "pflash"),
    BOOT("[order=drives][,...]", "set the boot order", refused("the firmware (U-Boot) chooses what to boot; there is no fw_cfg to pass an order"), "boot"),
    FSDEV("driver,id=id,path=path[,...]", "define a file-system back-end", refused("no 9p file sharing"), "fsdev"),
    VIRTFS("driver,path=path,mount_tag=tag[,...]", "share a host folder with 9p", refused("no 9p file sharing"), "virtfs"),

    INCOMING("uri", "wait for an incoming migration", partly("exec:COMMAND, unix:PATH, tcp:HOST:PORT, file:PATH and defer (then migrate-incoming); the state comes in one pass (no postcopy, no block migration)"), "incoming"),
    LOADVM("tag", "start from a snapshot kept in the qcow2 disks", supported(), "loadvm"),
    DAEMONIZE(null, "detach from the terminal", refused("run Orrery under a service manager, or in the background with -nographic -serial ..."), "daemonize"),
    PIDFILE("file", "write the process id to a file", refused("not implemented; the launcher's pid is that of ./orrery's java process"), "pidfile"),
    FW_CFG("name=path,file=file", "add a fw_cfg item", refused("virt's fw_cfg device is not modelled"), "fw_cfg"),
    SMBIOS("type=...", "set SMBIOS fields", refused("virt has no SMBIOS tables without UEFI"), "smbios"),
    NUMA("node[,...]", "describe NUMA nodes", refused("no NUMA topology"), "numa"),
    SEMIHOSTING(null, "enable semihosting", refused("no semihosting"), "semihosting"),
    PLUGIN("file=lib.so[,...]", "load a TCG plugin", refused("TCG plugins are shared libraries for QEMU's TCG; Orrery's plugins are OSGi bundles (-bundles)"), "plugin"),
    // Orrery's own options.
    DBUS("name=NAME[,addr=ADDRESS]", "serve the D-Bus front-end under a well-known name (session bus unless addr= names another)", own(), "dbus"),
    LOG_LEVEL("level", "platform log (not the guest's -d/-D): off, error, warning (the default), info or debug; one line a record on stderr", own(), "log-level"),
    SHELL(null, "run the Gogo shell on the terminal even while a machine runs", own(), "shell"),
    BUNDLES("dir", "hot-deploy bundle jars dropped into dir (and uninstall deleted ones)", own(), "bundles");

    /** How far Orrery goes with an option. */
    enum Level { SUPPORTED, PARTLY, REFUSED, ORRERY_ONLY }

    /** The level, and what "partly" leaves out or why an option is refused. */
    record Support(Level level, String note) { }

    private static Support supported() { return new Support(Level.SUPPORTED, ""); }
    private static Support partly(String how) { return new Support(Level.PARTLY, how); }
    private static Support refused(String why) { return new Support(Level.REFUSED, why); }
    private static Support own() { return new Support(Level.ORRERY_ONLY, ""); }

    private static final Map<String, QemuOption> BY_SPELLING = Arrays.stream(values())
            .flatMap(option -> option.spellings.stream().map(spelling -> Map.entry(spelling, option)))
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    private final String argumentName;
    private final String description;
    private final Support support;
    private final List<String> spellings;

    QemuOption(String argumentName, String description, Support support, String... spellings) {
        this.argumentName = argumentName;
        this.description = description;
        this.support = support;
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

    Support support() {
        return support;
    }

    boolean isRefused() {
        return support.level() == Level.REFUSED;
    }

    String argumentName() {
        return argumentName;
    }

    String description() {
        return description;
    }

    /** One usage line, e.g. {@code -machine|-M [type=]name[,prop=value...]  select the emulated machine}. */
    String usageLine() {
        String names = spellings.stream().map(s -> "-" + s).collect(Collectors.joining("|"));
        String synopsis = takesArgument() ? names + " " + argumentName : names;
        return String.format("%-46s %s", synopsis, description);
    }

    /** The options Orrery accepts, one usage line each (the refused ones are not offered). */
    static String usage() {
        return Arrays.stream(values()).filter(o -> !o.isRefused()).map(QemuOption::usageLine).map(line -> "  " + line)
                .collect(Collectors.joining(System.lineSeparator()));
    }

    /**
     * README.md's table of QEMU options, from this table: supported, partly (how) and refused (why), then
     * Orrery's own options.
     */
    static String markdownTable() {
        StringBuilder b = new StringBuilder("| option | support | how, or why not |\n| --- | --- | --- |\n");
        for (Level level : Level.values())
            for (QemuOption o : values()) {
                if (o.support.level() != level) continue;
                String names = o.spellings.stream().map(s -> "`-" + s + "`").collect(Collectors.joining(", "));
                String what = switch (level) {
                    case SUPPORTED -> "supported";
                    case PARTLY -> "partly";
                    case REFUSED -> "refused";
                    case ORRERY_ONLY -> "Orrery's own";
                };
                String note = o.support.note().isEmpty() ? o.description : o.support.note();
                b.append("| ").append(names).append(" | ").append(what).append(" | ").append(note.replace("|", "\\|")).append(" |\n");
            }
        return b.toString();
    }
}
