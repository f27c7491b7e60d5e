package org.orrery.qmp.server.internal;

import org.junit.jupiter.api.Test;
import org.orrery.qom.QomException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The address syntax, the framer and the number format on their own. */
class QmpUnitsTest {
    @Test void addresses() {
        QmpAddress a = QmpAddress.parse("unix:/tmp/q.sock,server=on,wait=off");
        assertEquals(QmpAddress.Kind.UNIX, a.kind());
        assertEquals("/tmp/q.sock", a.path());
        assertTrue(a.server());
        assertFalse(a.waitForClient());
        a = QmpAddress.parse("unix:/tmp/q.sock,server");
        assertTrue(a.server() && a.waitForClient());          // QEMU's default: wait
        a = QmpAddress.parse("unix:/tmp/q.sock");
        assertFalse(a.server());                                 // QEMU's default: connect out
        a = QmpAddress.parse("tcp::4444,server,nowait");
        assertEquals("127.0.0.1", a.host());
        assertEquals(4444, a.port());
        assertEquals("tcp:127.0.0.1:4444,server=on,wait=off", a.describe(-1));
        a = QmpAddress.parse("tcp:[::1]:0,server=on,wait=off,ipv6=on");
        assertEquals("::1", a.host());
        assertEquals("tcp:[::1]:5555,server=on,wait=off", a.describe(5555));
        a = QmpAddress.parse("unix:/tmp/a,,b.sock,server=on,wait=off");
        assertEquals("/tmp/a,b.sock", a.path());
        assertEquals("unix:/tmp/a,,b.sock,server=on,wait=off", a.describe(-1));
        a = QmpAddress.parse("tcp:localhost:4000,to=4010,server=on,wait=off");
        assertEquals(4010, a.portTo());
        assertThrows(QomException.class, () -> QmpAddress.parse("tcp:localhost,server=on"));
        assertThrows(QomException.class, () -> QmpAddress.parse("tcp:localhost:99999,server=on"));
        assertThrows(QomException.class, () -> QmpAddress.parse("stdio"));
        assertThrows(QomException.class, () -> QmpAddress.parse("unix:,server=on"));
        assertThrows(QomException.class, () -> QmpAddress.parse("unix:/x,server=on,reconnect=1"));
        assertThrows(QomException.class, () -> QmpAddress.parse("unix:/x,nowait=on"));
    }

    /** A framer that records each text, and each error as "ERR desc", in {@code got}. */
    private static JsonFramer framer(List<String> got, int maxSize) {
        return new JsonFramer(new JsonFramer.Sink() {
            @Override public void text(byte[] b, int off, int len) { got.add(new String(b, off, len, StandardCharsets.UTF_8)); }
            @Override public void error(String desc) { got.add("ERR " + desc); }
        }, maxSize);
    }

    @Test void framer() {
        List<String> got = new ArrayList<>();
        JsonFramer f = framer(got, 100);
        feed(f, "{\"a\": \"}{\\\"\"} [1,[2]] 'x}' 42 true\n");
        assertEquals(List.of("{\"a\": \"}{\\\"\"}", "[1,[2]]", "'x}'", "42", "true"), got);
        got.clear();
        feed(f, "{\"a\":");
        feed(f, " 1}");
        assertEquals(List.of("{\"a\": 1}"), got);
        got.clear();
        feed(f, "{\"big\": \"" + "x".repeat(200) + "\"} {\"after\": 1}\n{\"next\": 2}");
        // a complete text over the limit costs only itself
        assertEquals(List.of("ERR JSON token size limit exceeded", "{\"after\": 1}", "{\"next\": 2}"), got);
        got.clear();
        feed(f, "{\"big\": \"" + "x".repeat(60));
        feed(f, "x".repeat(60) + "\"} {\"same-line\": 1}\n{\"next\": 3}");
        assertEquals(List.of("ERR JSON token size limit exceeded", "{\"same-line\": 1}", "{\"next\": 3}"), got);
        got.clear();
        feed(f, "{\"big\": \"" + "x".repeat(120));   // over the limit with the text still open: the line is dropped
        feed(f, "x\"} {\"same-line\": 1}\n{\"next\": 5}");
        assertEquals(List.of("ERR JSON token size limit exceeded", "{\"next\": 5}"), got);
        got.clear();
        feed(f, "{\"execute\": [} {\"same-line\": 1}\n{\"next\": 4}");
        assertEquals(List.of("ERR JSON parse error, expecting value", "{\"next\": 4}"), got);
        got.clear();
        feed(f, "[".repeat(2000) + "]".repeat(2000) + "\n{}");
        assertEquals(List.of("ERR JSON nesting depth limit exceeded", "{}"), got);
        got.clear();
        feed(f, "{\"a\u0001{}");
        assertEquals(List.of("ERR JSON parse error, stray '\u0001'", "{}"), got);
        got.clear();
        feed(f, "] {}");
        assertEquals(List.of("ERR JSON parse error, expecting value", "{}"), got);
    }

    @Test void lexicalErrorsAreAnsweredAtOnceAndInputResumesAsInQemu() {
        List<String> got = new ArrayList<>();
        JsonFramer f = framer(got, 1000);
        // the object never closes: QEMU answers at the stray character, not at the end of the object
        expect(f, got, "{\"execute\": \"query-status\"G", "ERR JSON parse error, stray 'G'");
        expect(f, got, "\n{\"execute\":\"query-status\"}\n", "{\"execute\":\"query-status\"}");
        // skipped to the next structural character: 'x' and the space go with the error
        expect(f, got, "Gx {\"a\": 1}\n", "ERR JSON parse error, stray 'G'", "{\"a\": 1}");
        // a number that cannot go on: the token so far and the character, as QEMU quotes it
        expect(f, got, "{\"a\": 1.e}\n", "ERR JSON parse error, stray '1.e'", "ERR JSON parse error, expecting value");
        expect(f, got, "{\"a\": -x}\n{\"b\": 2}", "ERR JSON parse error, stray '-x'", "ERR JSON parse error, expecting value", "{\"b\": 2}");
        // valid tokens pass untouched, split over writes too; a bad keyword is the parser's to refuse
        expect(f, got, "{\"a\": -12.5e+3, \"b\": [tr");
        expect(f, got, "ue, null, 0], \"c\": xyz} 7 ", "{\"a\": -12.5e+3, \"b\": [true, null, 0], \"c\": xyz}", "7");
    }

    /** Feeds {@code input} and checks what came out of it alone. */
    private static void expect(JsonFramer f, List<String> got, String input, String... out) {
        got.clear();
        feed(f, input);
        assertEquals(List.of(out), got, input);
    }

    private static void feed(JsonFramer f, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        f.feed(b, 0, b.length);
    }

    @Test void doublesAsPrintfG17() {
        assertEquals("0.10000000000000001", QmpJson.formatDouble(0.1));
        assertEquals("1500", QmpJson.formatDouble(1500.0));
        assertEquals("-0", QmpJson.formatDouble(-0.0));
        assertEquals("1.0000000000000001e+300", QmpJson.formatDouble(1e300));
        assertEquals("1.5", QmpJson.formatDouble(1.5));
        assertEquals("1.0000000000000001e-05", QmpJson.formatDouble(1e-5));
        assertEquals("0.001", QmpJson.formatDouble(0.001));
        assertEquals("1e+17", QmpJson.formatDouble(1e17));
        assertEquals("-2.5", QmpJson.formatDouble(-2.5));
    }
}
