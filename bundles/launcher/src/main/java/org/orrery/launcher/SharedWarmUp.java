package org.orrery.launcher;

import java.net.URLConnection;
import java.time.ZoneId;
import java.util.List;

/**
 * One-time set-up of the JDK and of the libraries on the class path that the first bundles to start would
 * otherwise each meet on the start's critical path (sampled: the command layer's first JSON parse initialises
 * Jackson's ObjectMapper, whose default date format builds a Calendar through the locale providers, and its
 * parser base, whose BigDecimal constants square their way to 5^65536; a bundle's first resource read asks the
 * JDK's MIME table and the time zone for the entry's type and time; the QMP server's first Unix socket). Run on a
 * launcher thread while the framework initialises; a thread that needs one of these meanwhile waits for it, as
 * the JVM makes every class's initialisation wait, and finds the work done. Each step is optional: what is
 * missing or refused is skipped.
 */
final class SharedWarmUp {
    /** Classes whose static initialisers are slow and always run early in a start. */
    private static final List<String> CLASSES = List.of(
            "com.fasterxml.jackson.databind.ObjectMapper",
            "com.fasterxml.jackson.core.base.ParserMinimalBase",
            "sun.nio.ch.UnixDomainSockets");

    private SharedWarmUp() {
    }

    static void run(ClassLoader loader) {
        for (String name : CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // not on this class path or JDK: whoever needs it pays its set-up
            }
        }
        try {
            URLConnection.getFileNameMap();
            ZoneId.systemDefault().getRules();
            Character.isJavaIdentifierStart('\u0100');
        } catch (RuntimeException e) {
            // a broken time-zone or MIME set-up is reported where it is used
        }
    }
}
