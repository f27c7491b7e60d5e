package org.orrery.backend.chardev.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.QomException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code chardev-pty}: a new pseudo-terminal whose slave ({@code /dev/pts/N}) a terminal program opens. The
 * master side is held by a {@code socat} child process (Debian's socat package), which relays it to our
 * pipes; that keeps the JVM free of native code and survives the slave being opened and closed repeatedly.
 * Output while nobody reads the slave is dropped once it has waited a second, so a guest never stalls on an
 * unwatched pty (QEMU drops it too).
 */
final class PtyChardev extends QueuedChardev {
    private static final Pattern PTY_LINE = Pattern.compile("PTY is (\\S+)");
    private static final long STALL_MILLIS = 1000;

    private Process socat;
    private OutputStream toPty;
    private volatile String ptyPath;

    @Override protected void open() {
        try {
            socat = new ProcessBuilder("socat", "-d", "-d", "pty,raw,echo=0", "STDIO").start();
        } catch (IOException e) {
            throw new QomException("chardev-pty needs the 'socat' program (apt install socat): " + e.getMessage());
        }
        toPty = socat.getOutputStream();
        CompletableFuture<String> path = new CompletableFuture<>();
        InputStream err = socat.getErrorStream();
        startThread("log", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = PTY_LINE.matcher(line);
                    if (!path.isDone() && m.find()) path.complete(m.group(1));
                }
            } catch (IOException e) {
                // socat ended
            }
            path.complete(null);
        });
        String p;
        try {
            p = path.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            p = null;
        }
        if (p == null) throw new QomException("chardev-pty: socat did not allocate a pseudo-terminal");
        ptyPath = p;
        InputStream fromPty = socat.getInputStream();
        startWriter();
        startThread("in", () -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while (!closing && (n = fromPty.read(buf)) > 0) if (!received(buf, 0, n)) return;
            } catch (IOException e) {
                // socat ended
            }
        });
        System.err.println("char device redirected to " + p + " (label " + name() + ")");
    }

    @Override protected void sink(byte[] data, int offset, int length) throws IOException {
        toPty.write(data, offset, length);
        toPty.flush();
    }

    @Override protected int output(byte[] data, int offset, int length) {
        int n = super.output(data, offset, length);
        if (n < length && outputQueue() != null && outputQueue().stalledFor(STALL_MILLIS)) return length; // nobody reads the slave
        return n;
    }

    @Override protected void close() {
        super.close();
        if (socat != null) {
            socat.destroy();
            try {
                if (!socat.waitFor(2, TimeUnit.SECONDS)) socat.destroyForcibly();
            } catch (InterruptedException e) {
                socat.destroyForcibly();
            }
        }
    }

    String ptyPath() { return ptyPath; }

    @Override String filename() { return "pty:" + ptyPath; }

    @Override ObjectNode addResult() { return JsonNodeFactory.instance.objectNode().put("pty", ptyPath); }
}
