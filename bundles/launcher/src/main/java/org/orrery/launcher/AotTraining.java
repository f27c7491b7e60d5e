package org.orrery.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The workload of the run that trains the JDK's ahead-of-time cache ({@code -Dorrery.aot.training=SOCKET},
 * with the command line serving QMP on that unix socket): what a real start does once the container is
 * up, so the cache holds the classes and profiles of that path. It is a QMP client of the machine: the
 * greeting, capabilities, the common queries, the guest running for a moment, then {@code quit}.
 */
final class AotTraining {
    private static final List<String> SESSION = List.of(
            "{\"execute\":\"qmp_capabilities\"}",
            "{\"execute\":\"query-status\"}",
            "{\"execute\":\"query-commands\"}",
            "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine\"}}",
            "{\"execute\":\"qom-list-types\"}",
            "{\"execute\":\"cont\"}");
    private static final long GUEST_RUN_MILLIS = 1500;

    private AotTraining() {
    }

    /** Runs the session on {@code socket} (failing quietly: a partial training still trains), then quits. */
    static void run(Path socket) {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            in.readLine();   // the greeting
            for (String command : SESSION) {
                exchange(in, out, command);
            }
            Thread.sleep(GUEST_RUN_MILLIS);
            exchange(in, out, "{\"execute\":\"stop\"}");
            exchange(in, out, "{\"execute\":\"quit\"}");
        } catch (IOException | InterruptedException e) {
            System.err.println("orrery: AOT training session ended early: " + e);
        }
    }

    /** Sends one command and reads up to its answer (events may come first). */
    private static void exchange(BufferedReader in, OutputStream out, String command) throws IOException {
        out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("{\"return\"") || line.startsWith("{\"error\"")) return;
        }
    }
}
