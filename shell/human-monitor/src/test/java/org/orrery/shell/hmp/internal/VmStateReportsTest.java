package org.orrery.shell.hmp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The "info snapshots" and "info migrate" layouts, against what QEMU 7.2's monitor prints for the same data. */
class VmStateReportsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception { return JSON.readTree(text); }

    @Test
    void sizesAsTheMonitorShowsThem() {
        assertEquals("0 B", VmStateReports.humanSize(0));
        assertEquals("1023 B", VmStateReports.humanSize(1023));
        assertEquals("1.59 MiB", VmStateReports.humanSize(1_667_236));
        assertEquals("1 KiB", VmStateReports.humanSize(1024));
        assertEquals("512 KiB", VmStateReports.humanSize(512 * 1024));
        assertEquals("1.5 GiB", VmStateReports.humanSize(3L << 29));
    }

    @Test
    void snapshotListing() throws Exception {
        assertEquals("There is no snapshot available.\n", VmStateReports.snapshots(json("[]")));
        String listing = VmStateReports.snapshots(json("[{\"name\":\"s1\",\"vm-state-size\":1667236,\"date-sec\":0,"
                + "\"vm-clock-sec\":3725,\"vm-clock-nsec\":5000000}]"));
        String[] lines = listing.split("\n");
        assertEquals(3, lines.length, listing);
        assertEquals("List of snapshots present on all disks:", lines[0]);
        assertEquals("ID        TAG                    VM SIZE                DATE        VM CLOCK", lines[1]);
        assertEquals("--        s1                    1.59 MiB", lines[2].substring(0, 40));
        assertEquals("01:02:05.005", lines[2].substring(lines[2].length() - 12));
    }

    @Test
    void migrationStatus() throws Exception {
        assertEquals("", VmStateReports.migration(json("{}")), "nothing before any migration");
        assertEquals("""
                Migration status: completed
                total time: 120 ms
                downtime: 7 ms
                transferred ram: 2048 kbytes
                total ram: 4096 kbytes
                duplicate: 3 pages
                normal: 4 pages
                normal bytes: 16 kbytes
                """, VmStateReports.migration(json("{\"status\":\"completed\",\"total-time\":120,\"downtime\":7,"
                + "\"ram\":{\"transferred\":2097152,\"total\":4194304,\"duplicate\":3,\"normal\":4,\"normal-bytes\":16384}}")));
        assertEquals("Migration status: failed\ntotal time: 0 ms\nerror description: broken pipe\n",
                VmStateReports.migration(json("{\"status\":\"failed\",\"error-desc\":\"broken pipe\"}")));
    }
}
