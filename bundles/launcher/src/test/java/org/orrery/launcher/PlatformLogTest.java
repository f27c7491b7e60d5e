package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one log path: a record is one line at the chosen level; an uncaught throwable is one line, fatal only for the JVM's own failures. */
class PlatformLogTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

    @AfterEach
    void restoreDefaults() {
        PlatformLog.install(PlatformLog.DEFAULT, System.err);
    }

    private String printed() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aRecordWithAFailureIsOneLineAndInfoIsHiddenByDefault() {
        PlatformLog.install(PlatformLog.DEFAULT, errStream);
        Logger log = Logger.getLogger("org.orrery.test.bundle");
        log.info("hidden at the default level");
        log.log(java.util.logging.Level.WARNING, "session ended\nby an internal error", new IllegalStateException("outer", new RuntimeException("inner")));
        assertEquals("orrery: warning: session ended by an internal error: outer; caused by: inner" + System.lineSeparator(), printed());
    }

    @Test
    void offSaysNothingAndDebugAddsTheTrace() {
        PlatformLog.install(PlatformLog.Threshold.OFF, errStream);
        Logger.getLogger("org.orrery.test.bundle").severe("not even this");
        assertEquals("", printed());
        PlatformLog.install(PlatformLog.Threshold.DEBUG, errStream);
        Logger.getLogger("org.orrery.test.bundle").log(java.util.logging.Level.FINE, "asked for", new IllegalStateException("x"));
        assertTrue(printed().startsWith("orrery: debug: asked for: x" + System.lineSeparator()), printed());
        assertTrue(printed().contains("\tat "), "debug shows where: " + printed());
    }

    @Test
    void anUnknownLevelIsRefusedInOneLine() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Main.run(List.of("-log-level", "loud"), new PrintStream(out, true, StandardCharsets.UTF_8), errStream);
        assertEquals(1, status);
        assertEquals("orrery: -log-level loud: expected one of off, error, warning, info, debug" + System.lineSeparator(), printed());
    }

    @Test
    void aThreadThatDiesIsOneLineAndOnlyTheJvmsOwnFailuresEndTheProcess() throws Exception {
        PlatformLog.install(PlatformLog.DEFAULT, errStream);
        AtomicInteger exitStatus = new AtomicInteger(-1);
        AtomicInteger haltStatus = new AtomicInteger(-1);
        UncaughtFailures handler = new UncaughtFailures(exitStatus::set, haltStatus::set);
        Thread worker = Thread.ofPlatform().name("chardev-x-reader").unstarted(() -> { throw new IllegalStateException("gone"); });
        worker.setUncaughtExceptionHandler(handler);
        worker.start();
        worker.join();
        assertEquals("orrery: error: thread 'chardev-x-reader' died: gone" + System.lineSeparator(), printed());
        assertEquals(-1, exitStatus.get(), "a lost helper thread does not end the container");

        err.reset();
        Thread starved = Thread.ofPlatform().name("qmp-session").unstarted(() -> { throw new OutOfMemoryError("Java heap space"); });
        starved.setUncaughtExceptionHandler(handler);
        starved.start();
        starved.join();
        assertEquals("orrery: error: thread 'qmp-session' died; Orrery cannot go on and exits: Java heap space" + System.lineSeparator(), printed());
        assertEquals(1, exitStatus.get());
        assertEquals(-1, haltStatus.get(), "the clean stop is tried first; halting is for a stop that hangs");
    }
}
