package org.orrery.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Command lines a careless (or hostile) user might type: real options with wrong, huge, negative or
 * malformed values, misspelt options, options without their argument, key=value lists with unknown keys
 * and broken commas, and paths that do not exist or are not what the option wants. Seeded, so a failure
 * can be replayed: the seed and the input are in the assertion message.
 */
final class CommandLineFuzz {
    /** Options that take a value, QEMU's spelling. */
    static final List<String> VALUED = List.of("machine", "M", "cpu", "m", "smp", "bios", "kernel", "initrd", "append", "dtb",
            "drive", "blockdev", "device", "object", "chardev", "serial", "monitor", "qmp", "qmp-pretty", "mon", "display",
            "name", "readconfig", "d", "D", "gdb", "dbus", "bundles", "log-level");
    /** Flags that change nothing a failure depends on (-S and friends would hold a machine that is fine). */
    static final List<String> FLAGS = List.of("nographic", "snapshot", "no-reboot");

    private static final List<String> SIZES = List.of("200G", "256Q", "-1", "0", "1", "4095", "1e999999999", "0x", "0x10",
            "18446744073709551616", "18446744073709551615", "9223372036854775808", "16E", "15E", "1.5G", "1..5M", "M", "",
            " 64M", "64 M", "64m", "1T", "99999999999999999999999999999999", "NaN", "-0", "+64M");
    private static final List<String> NUMBERS = List.of("abc", "-1", "0", "1", "2", "513", "100000", "2147483648",
            "9223372036854775807", "9223372036854775808", "1.5", "0x10", "0xZZ", "", " ", "1e3", "−1");
    private static final List<String> WORDS = List.of("on", "off", "yes", "maybe", "none", "help", "?", "", "null", "true",
            "\u00e9t\u00e9", "a\tb", "a\nb", "%s%n", "${x}", "'", "\"", "\\", "=", "==", ",", ",,", "x=", "=x");
    /**
     * Paths that exist nowhere or cannot be written to harm (a fuzzed memory-backend-file extends the file it
     * maps, a -D opens its file): real files and folders are the scratch ones.
     */
    private static final List<String> PATHS = List.of("/nonexistent/x", "/nonexistent/dir/sock", "/", "/dev/null", "/dev/zero",
            "/etc", "/nonexistent/a,,b", "/etc/shadow/x", "", "file:/nonexistent/x", "unix:/nonexistent/q.sock,server=on,wait=off",
            "tcp::99999", "tcp:256.1.1.1:1", "stdio", "mon:stdio", "null", "pty:x", "chardev:nosuch", "SCRATCH/file",
            "SCRATCH/dir", "SCRATCH/missing/x", "SCRATCH/a,,b", "file:SCRATCH/dir");
    /** Where -D may point: it creates the file it names. */
    private static final List<String> LOG_FILES = List.of("/nonexistent/x.log", "/", "/etc", "/dev/null", "", "SCRATCH/dir",
            "SCRATCH/log", "SCRATCH/missing/x.log");
    private static final List<String> KEYS = List.of("id", "size", "drive", "file", "format", "if", "path", "mem-path",
            "chardev", "backend", "addr", "irq", "num-queues", "prealloc", "share", "readonly", "cpus", "maxcpus", "cores",
            "threads", "sockets", "slots", "maxmem", "type", "driver", "qom-type", "node-name", "server", "wait", "port",
            "host", "guest", "name", "bus", "rng", "memdev", "x", "a.b", ".a", "a.", "id.x");

    private final Random random;
    private final List<String> types;
    private final String scratch;

    /**
     * {@code types} are type names the container under test knows (device, object, chardev, board);
     * {@code scratch} is a folder holding a small file "file" and a folder "dir", the only real paths used.
     */
    CommandLineFuzz(long seed, List<String> types, java.nio.file.Path scratch) {
        this.random = new Random(seed);
        this.types = List.copyOf(types);
        this.scratch = scratch.toAbsolutePath().toString();
    }

    /** Makes the scratch folder's file and folder. */
    static void prepare(java.nio.file.Path scratch) throws java.io.IOException {
        java.nio.file.Files.writeString(scratch.resolve("file"), "not a kernel\n");
        java.nio.file.Files.createDirectories(scratch.resolve("dir"));
    }

    /** One input: a few options to add to an otherwise good command line. */
    List<String> next() {
        List<String> args = new ArrayList<>();
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) option(args);
        return args;
    }

    private void option(List<String> args) {
        switch (random.nextInt(10)) {
            case 0 -> args.add(misspelt());
            case 1 -> args.add("-" + pick(VALUED));              // its argument is missing when it is last
            case 2 -> args.add("-" + pick(FLAGS));
            default -> {
                String name = pick(VALUED);
                args.add(random.nextInt(8) == 0 ? "--" + name : "-" + name);
                args.add(value(name));
            }
        }
    }

    private String misspelt() {
        String name = pick(VALUED);
        return switch (random.nextInt(5)) {
            case 0 -> "-" + name + name.charAt(name.length() - 1);
            case 1 -> "-" + name.toUpperCase();
            case 2 -> name;                                     // no dash: a bare word
            case 3 -> "---" + name;
            default -> "-" + name.substring(0, name.length() - 1) + "_";
        };
    }

    private String value(String option) {
        if (random.nextInt(10) == 0) return noise();
        return switch (option) {
            case "m" -> random.nextBoolean() ? pick(SIZES) : keyval("size", pick(SIZES));
            case "smp" -> random.nextBoolean() ? pick(NUMBERS) : keyval("cpus", pick(NUMBERS));
            case "D" -> path(LOG_FILES);
            case "bios", "kernel", "initrd", "dtb", "readconfig", "bundles", "serial", "monitor", "qmp", "qmp-pretty", "gdb" ->
                    path(PATHS);
            case "device", "object", "chardev", "machine", "M", "cpu", "mon", "dbus", "name" -> keyval(pick(types), null);
            case "drive", "blockdev" -> keyval("file=" + path(PATHS).replace(",", ",,"), null);
            case "d", "display", "log-level" -> pick(WORDS) + (random.nextBoolean() ? "," + pick(WORDS) : "");
            default -> pick(WORDS);
        };
    }

    /** "first,key=value,..." with keys and values from the pools, sometimes broken. */
    private String keyval(String first, String firstValue) {
        StringBuilder b = new StringBuilder(firstValue == null ? first : first + "=" + firstValue);
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            b.append(',');
            switch (random.nextInt(6)) {
                case 0 -> b.append(pick(KEYS));                          // a bare key: key=on, or noKEY=off
                case 1 -> b.append(pick(WORDS));                         // anything at all
                default -> {
                    List<String> pool = random.nextBoolean() ? SIZES : random.nextBoolean() ? NUMBERS : random.nextBoolean() ? PATHS : WORDS;
                    b.append(pick(KEYS)).append('=').append(path(pool).replace(",", random.nextBoolean() ? ",," : ","));
                }
            }
        }
        if (random.nextInt(12) == 0) b.append(',');
        return b.toString();
    }

    /** Random characters, sometimes very many (as many as one argument of a process may hold: 128 KiB of UTF-8). */
    private String noise() {
        int length = random.nextInt(6) == 0 ? 20_000 + random.nextInt(20_000) : random.nextInt(40);
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            b.append(kind < 6 ? (char) (' ' + random.nextInt(95)) : kind < 8 ? ",=.:/".charAt(random.nextInt(5))
                    : (char) (0x80 + random.nextInt(0x3000)));
        }
        return b.toString();
    }

    private String path(List<String> from) {
        return pick(from).replace("SCRATCH", scratch);
    }

    private String pick(List<String> from) {
        return from.get(random.nextInt(from.size()));
    }

    /** How an input is shown in a failure message: quoted arguments, long ones cut. */
    static String show(List<String> args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            String s = a.length() > 80 ? a.substring(0, 77) + "...(" + a.length() + " chars)" : a;
            b.append(" '").append(s.replace("\n", "\\n")).append('\'');
        }
        return b.toString().strip();
    }
}
