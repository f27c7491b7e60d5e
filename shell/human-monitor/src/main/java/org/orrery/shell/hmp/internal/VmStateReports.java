package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** QEMU 7.2's "info snapshots" and "info migrate" layouts, from the results of the QMP queries behind them. */
final class VmStateReports {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private VmStateReports() { }

    /** The snapshot list of x-query-vm-snapshots, as "info snapshots" prints it ("\n" line ends). */
    static String snapshots(JsonNode list) {
        if (list.isEmpty()) return "There is no snapshot available.\n";
        StringBuilder out = new StringBuilder("List of snapshots present on all disks:\n");
        out.append(String.format("%-9s %-17s %12s %19s %15s", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK")).append('\n');
        for (JsonNode sn : list) {
            long sec = sn.path("vm-clock-sec").asLong(), ms = sn.path("vm-clock-nsec").asLong() / 1_000_000;
            String clock = String.format("%02d:%02d:%02d.%03d", sec / 3600, sec / 60 % 60, sec % 60, ms);
            String date = DATE.format(Instant.ofEpochSecond(sn.path("date-sec").asLong()).atZone(ZoneId.systemDefault()));
            out.append(String.format("%-9s %-17s %12s %19s %15s", "--", sn.path("name").asText(),
                    humanSize(sn.path("vm-state-size").asLong()), date, clock)).append('\n');
        }
        return out.toString();
    }

    /** The result of query-migrate, as "info migrate" prints it (nothing before any migration). */
    static String migration(JsonNode m) {
        if (!m.has("status")) return "";
        StringBuilder out = new StringBuilder();
        line(out, "Migration status: " + m.path("status").asText());
        line(out, "total time: " + m.path("total-time").asLong() + " ms");
        if (m.has("downtime")) line(out, "downtime: " + m.path("downtime").asLong() + " ms");
        if (m.has("setup-time")) line(out, "setup: " + m.path("setup-time").asLong() + " ms");
        JsonNode ram = m.path("ram");
        if (ram.isObject()) {
            line(out, "transferred ram: " + ram.path("transferred").asLong() / 1024 + " kbytes");
            line(out, "total ram: " + ram.path("total").asLong() / 1024 + " kbytes");
            line(out, "duplicate: " + ram.path("duplicate").asLong() + " pages");
            line(out, "normal: " + ram.path("normal").asLong() + " pages");
            line(out, "normal bytes: " + ram.path("normal-bytes").asLong() / 1024 + " kbytes");
        }
        if (m.has("error-desc")) line(out, "error description: " + m.path("error-desc").asText());
        return out.toString();
    }

    private static void line(StringBuilder out, String s) { out.append(s).append('\n'); }

    /** A size as QEMU's monitor shows it: three significant digits, no trailing zeros (1.59 MiB, 1 KiB, 512 KiB). */
    static String humanSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        if (u == 0) return bytes + " B";
        String digits = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        return digits + " " + units[u];
    }
}
