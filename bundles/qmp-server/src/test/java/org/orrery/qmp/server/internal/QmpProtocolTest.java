package org.orrery.qmp.server.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire protocol over a real unix socket, byte for byte against what QEMU 7.2 sends. */
class QmpProtocolTest {
    @TempDir Path dir;
    TestMachine m;
    Path sock;

    @BeforeEach void start() {
        m = new TestMachine(64 * 1024);
        sock = dir.resolve("q.sock");
        m.listen("mon0", "unix:" + sock + ",server=on,wait=off", false);
    }

    @AfterEach void stop() { m.close(); }

    private RawQmp open() throws IOException { return RawQmp.negotiated(RawQmp.unix(sock)); }

    @Test void greetingCarriesTheVersionFromQueryVersion() throws IOException {
        try (RawQmp q = RawQmp.unix(sock)) {
            String g = q.line();
            assertTrue(g.startsWith("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \" (Orrery "), g);
            assertTrue(g.endsWith("\"}, \"capabilities\": [\"oob\"]}}"), g);
        }
    }

    /**
     * While the command line configures the machine (its marker registered), a client is greeted
     * and negotiates at once, but its commands wait until the command line is done, as QEMU's do.
     */
    @Test void commandsWaitWhileTheCommandLineConfiguresButTheGreetingDoesNot() throws Exception {
        Runnable commandLine = () -> { };
        m.qmp.addConfiguringCommandLine(commandLine);
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (RawQmp q = RawQmp.unix(sock)) {
            assertTrue(q.line().startsWith("{\"QMP\""));
            assertEquals("{\"return\": {}}", q.call("{\"execute\":\"qmp_capabilities\"}"));
            var answer = pool.submit(() -> q.call("{\"execute\":\"query-status\",\"id\":7}"));
            Thread.sleep(200);
            assertFalse(answer.isDone(), "the command waits for the command line");
            m.qmp.removeConfiguringCommandLine(commandLine);
            assertTrue(answer.get(10, java.util.concurrent.TimeUnit.SECONDS).endsWith(", \"id\": 7}"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test void negotiationIsRequiredOnceAndOnlyOnce() throws IOException {
        try (RawQmp q = RawQmp.unix(sock)) {
            q.line();
            assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities negotiation with 'qmp_capabilities'\"}}",
                    q.call("{\"execute\":\"query-version\"}"));
            assertEquals("{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'enable' does not accept value 'foo'\"}}",
                    q.call("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]},\"id\":1}").replace("enable[0]", "enable"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'bogus' is unexpected\"}}",
                    q.call("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"bogus\":1}}"));
            assertEquals("{\"return\": {}, \"id\": 2}", q.call("{\"execute\":\"qmp_capabilities\",\"id\":2}"));
            assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities negotiation is already complete, command ignored\"}}",
                    q.call("{\"execute\":\"qmp_capabilities\"}"));
        }
    }

    @Test void idsAreEchoedVerbatim() throws IOException {
        try (RawQmp q = open()) {
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":\"abc-1\"}").endsWith(", \"id\": \"abc-1\"}"));
            assertEquals("{\"return\": {\"running\": false, \"singlestep\": false, \"status\": \"prelaunch\"}, \"id\": {\"n\": [1, 2]}}",
                    q.call("{\"execute\":\"query-status\",\"id\":{\"n\":[1,2]}}"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":null}").endsWith(", \"id\": null}"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":1.5e3}").endsWith(", \"id\": 1500}"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":0.1}").endsWith(", \"id\": 0.10000000000000001}"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":12345678901234567890}").endsWith(", \"id\": 12345678901234567890}"));
            assertTrue(q.call("{'execute':'query-status','id':'x\"y'}").endsWith(", \"id\": \"x\\\"y\"}"));
            // QEMU escapes everything outside printable ASCII, upper-case hex, and leaves '/' alone
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":\"a/b\\u0001\\u007f é 😀\\t\"}")
                    .endsWith(", \"id\": \"a/b\\u0001\\u007F \\u00E9 \\uD83D\\uDE00\\t\"}"));
            assertEquals("{\"id\": [1], \"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'path' is missing\"}}",
                    q.call("{\"execute\":\"qom-list\",\"id\":[1]}"));
        }
    }

    @Test void malformedJsonIsReportedAndTheConnectionKept() throws IOException {
        try (RawQmp q = open()) {
            q.send("{\"execute\": \"query-status\" xx}\n{\"execute\":\"query-version\",\"id\":\"sync\"}\n");
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expected separator in dict\"}}", q.line());
            assertTrue(q.line().endsWith("\"id\": \"sync\"}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid keyword 'xyz'\"}}", q.call("xyz"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expecting value\"}}", q.call("}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, duplicate key\"}}",
                    q.call("{\"execute\":\"query-status\",\"id\":1,\"id\":2}"));
            // a control character resets the parser at once, even mid-object (QEMU's documented resync)
            q.send("{\"execute\": \"query-st\u0001{\"execute\":\"query-status\",\"id\":3}\n");
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\u0001'\"}}", q.line());
            assertTrue(q.line().endsWith("\"id\": 3}"));
            // a character no JSON token can hold is answered at once, though the object never closes (QEMU's lexer)
            q.send("{\"execute\": \"query-status\"G\n");
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray 'G'\"}}", q.line());
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":9}").endsWith("\"id\": 9}"), "the session goes on");
            // a text split over many writes is still one text
            for (char c : "{\"execute\":\"query-status\",\"id\":4}".toCharArray()) q.send(String.valueOf(c));
            assertTrue(q.line().endsWith("\"id\": 4}"));
            // invalid UTF-8
            q.send(new byte[] {'{', '"', 'e', (byte) 0xC3, '"', ':', '1', '}', '\n'});
            assertTrue(q.line().contains("GenericError"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":5}").endsWith("\"id\": 5}"));
        }
    }

    @Test void badRequestsGetQemusErrors() throws IOException {
        try (RawQmp q = open()) {
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON object\"}}", q.call("[1, 2, 3]"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON object\"}}", q.call("\"abc\""));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON object\"}}", q.call("42"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'argumentz' is unexpected\"}}",
                    q.call("{\"execute\": \"query-version\", \"argumentz\": {}}"));
            assertEquals("{\"id\": 5, \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' is unexpected\"}}",
                    q.call("{\"exec-oob\":\"query-version\",\"id\":5}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member 'execute'\"}}", q.call("{\"arguments\":{}}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' must be a string\"}}", q.call("{\"execute\":42}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'arguments' must be an object\"}}",
                    q.call("{\"execute\":\"query-version\",\"arguments\":null}"));
            assertEquals("{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command no-such-command-xyz has not been found\"}}",
                    q.call("{\"execute\":\"no-such-command-xyz\",\"id\":\"x\"}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'path' is missing\"}}", q.call("{\"execute\":\"qom-list\"}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for 'path', expected: string\"}}",
                    q.call("{\"execute\":\"qom-list\",\"arguments\":{\"path\":42}}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'bogus' is unexpected\"}}",
                    q.call("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine\",\"bogus\":1}}"));
            assertEquals("{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device '/nope' not found\"}}",
                    q.call("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/nope\",\"property\":\"type\"}}"));
            assertEquals("{\"return\": \"test-machine\"}", q.call("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine\",\"property\":\"type\"}}"));
            assertTrue(q.call("{\"execute\":\"x-test-crash\"}").startsWith("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Command 'x-test-crash' failed: "));
            assertTrue(q.call("{\"execute\":\"query-version\"}").startsWith("{\"return\": {\"qemu\": "));
        }
    }

    @Test void oobCapability() throws IOException {
        try (RawQmp q = RawQmp.unix(sock)) {
            q.line();
            assertEquals("{\"return\": {}}", q.call("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"));
            assertEquals("{\"id\": 5, \"error\": {\"class\": \"GenericError\", \"desc\": \"The command query-version does not support OOB\"}}",
                    q.call("{\"exec-oob\":\"query-version\",\"id\":5}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' clashes with 'exec-oob'\"}}",
                    q.call("{\"execute\":\"query-version\",\"exec-oob\":\"query-version\"}"));
        }
    }

    @Test void oversizedInputIsRefusedAndTheNextLineServed() throws IOException {
        try (RawQmp q = open()) {
            String big = "{\"execute\":\"query-status\",\"id\":\"" + "x".repeat(200_000) + "\"}\n";
            q.send(big);
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON token size limit exceeded\"}}", q.line());
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":7}").endsWith("\"id\": 7}"));
        }
    }

    @Test void absurdNestingIsOneErrorNotACrash() throws IOException {
        try (RawQmp q = open()) {
            String deep = "{\"execute\":\"query-version\",\"arguments\":" + "[".repeat(20000) + "]".repeat(20000) + "}\n";
            // over the small size limit of this server too: whichever check trips first, one error
            q.send(deep);
            assertTrue(q.line().contains("\"class\": \"GenericError\""));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":8}").endsWith("\"id\": 8}"));
            String deep2 = "{\"execute\":\"query-version\",\"arguments\":" + "[".repeat(2000) + "]".repeat(2000) + "}\n";
            q.send(deep2);
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON nesting depth limit exceeded\"}}", q.line());
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":9}").endsWith("\"id\": 9}"));
            // deep but legal: the command layer refuses it, politely
            String legal = "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/uart0\",\"property\":\"baud\",\"value\":"
                    + "[".repeat(1000) + "]".repeat(1000) + "}}";
            assertTrue(q.call(legal).contains("GenericError"));
            assertTrue(q.call("{\"execute\":\"query-status\",\"id\":10}").endsWith("\"id\": 10}"));
        }
    }

    @Test void eventsAfterNegotiationOnlyWithQemusLayout() throws IOException {
        try (RawQmp early = RawQmp.unix(sock); RawQmp q = open()) {
            early.line();
            assertEquals("{\"return\": {}}", q.call("{\"execute\":\"cont\"}").replaceAll("^\\{\"timestamp.*", "{\"return\": {}}"));
            // the RESUME event came before the reply, as QEMU orders them
            q.send("{\"execute\":\"stop\"}\n");
            String ev = q.line();
            assertTrue(ev.matches("\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\}, \"event\": \"STOP\"\\}"), ev);
            assertEquals("{\"return\": {}}", q.line());
            q.send("{\"execute\":\"x-test-emit\",\"arguments\":{\"event\":\"DEVICE_DELETED\",\"data\":{\"path\":\"/machine/peripheral/d0\",\"device\":\"d0\"}}}\n");
            ev = q.line();
            assertTrue(ev.matches("\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\}, \"event\": \"DEVICE_DELETED\", "
                    + "\"data\": \\{\"path\": \"/machine/peripheral/d0\", \"device\": \"d0\"\\}\\}"), ev);
            assertEquals("{\"return\": {}}", q.line());
            // the client still negotiating saw nothing
            assertEquals("", early.drain(100));
        }
    }

    @Test void prettyModeIndentsAsQemuDoes() throws IOException {
        Path p = dir.resolve("p.sock");
        m.listen("pretty", "unix:" + p + ",server=on,wait=off", true);
        try (RawQmp q = RawQmp.unix(p)) {
            String g = q.drain(200);
            assertTrue(g.startsWith("{\r\n    \"QMP\": {\r\n        \"version\": {\r\n            \"qemu\": {\r\n                \"micro\": 0,\r\n"), g);
            assertTrue(g.endsWith("        \"capabilities\": [\r\n            \"oob\"\r\n        ]\r\n    }\r\n}\r\n"), g);
            q.send("{\"execute\":\"qmp_capabilities\"}");
            assertEquals("{\r\n    \"return\": {\r\n    }\r\n}\r\n", q.drain(200));
            q.send("{\"execute\":\"query-status\",\"id\":[1,{\"a\":[]},{}]}");
            assertEquals("{\r\n    \"return\": {\r\n        \"running\": false,\r\n        \"singlestep\": false,\r\n        \"status\": \"prelaunch\"\r\n    },\r\n"
                    + "    \"id\": [\r\n        1,\r\n        {\r\n            \"a\": [\r\n            ]\r\n        },\r\n        {\r\n        }\r\n    ]\r\n}\r\n", q.drain(200));
            q.send("{\"execute\":\"foo\"}");
            assertEquals("{\r\n    \"error\": {\r\n        \"class\": \"CommandNotFound\",\r\n        \"desc\": \"The command foo has not been found\"\r\n    }\r\n}\r\n",
                    q.drain(200));
        }
    }

    @Test void sessionsHaveReadableNames() throws IOException {
        try (RawQmp q = open()) {
            String r = q.call("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine\"}}");
            assertTrue(r.contains("\"name\": \"uart0\""), r);
        }
        byte[] b = "{\"execute\":\"query-status\"}".getBytes(StandardCharsets.UTF_8);
        assertEquals(26, b.length);
    }
}
