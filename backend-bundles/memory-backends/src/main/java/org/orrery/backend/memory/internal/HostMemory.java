package org.orrery.backend.memory.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the host has, for the message that says why guest RAM could not be had. */
final class HostMemory {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private HostMemory() { }

    /** "the host has 23.4 GiB of RAM and no swap", from /proc/meminfo; a plainer phrase where that is absent. */
    static String describe() {
        long ram = -1, swap = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) ram = kib(line);
                else if (line.startsWith("SwapTotal:")) swap = kib(line);
            }
        } catch (IOException | RuntimeException e) {
            return "the host could not give that much";
        }
        if (ram < 0) return "the host could not give that much";
        return "the host has " + format(ram) + " of RAM and " + (swap > 0 ? format(swap) + " of swap" : "no swap");
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    /** 214748364800 -> "200 GiB", 1536 -> "1.5 KiB"; {@code bytes} is unsigned, as sizes are. */
    static String format(long bytes) {
        int unit = 0;
        double v = bytes >= 0 ? bytes : (bytes >>> 1) * 2.0;
        while (v >= 1024 && unit < UNITS.length - 1) { v /= 1024; unit++; }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + " " + UNITS[unit];
    }
}
