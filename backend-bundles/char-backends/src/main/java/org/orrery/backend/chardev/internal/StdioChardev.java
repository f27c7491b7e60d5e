package org.orrery.backend.chardev.internal;

import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * {@code chardev-stdio}: the emulator's own standard input and output. When standard input is a terminal it
 * is put in raw mode (no echo, no line editing, no CR/LF translation on input; output processing stays on)
 * and restored when the chardev goes or the process exits. With {@code signal=on} (the default, as in QEMU)
 * the terminal keeps ISIG, so Ctrl-C still sends SIGINT to the emulator; with {@code signal=off} Ctrl-C is
 * passed to the guest. Only one stdio chardev may exist at a time.
 */
final class StdioChardev extends QueuedChardev {
    private static final Logger LOG = Logger.getLogger(StdioChardev.class.getName());
    static final Property<Boolean> SIGNAL = Property.of("signal", PropertyTypes.BOOL).defaultValue(true)
            .description("keep Ctrl-C as SIGINT to the emulator (off: pass it to the guest)");

    /** Standard input is one per process, whatever the number of machines. */
    private static final AtomicReference<StdioChardev> OWNER = new AtomicReference<>();

    private final InputStream in = new FileInputStream(FileDescriptor.in);
    private final OutputStream out = new FileOutputStream(FileDescriptor.out);
    private String savedTerminal;
    private Thread restoreHook;

    @Override protected void open() {
        if (!OWNER.compareAndSet(null, this)) throw new QomException("cannot use stdio by multiple character devices");
        if (stdinIsTerminal()) {
            savedTerminal = stty("-g");
            if (savedTerminal != null) {
                String state = savedTerminal.trim();
                restoreHook = new Thread(() -> stty(state), "chardev-stdio-restore");
                Runtime.getRuntime().addShutdownHook(restoreHook);
                stty("-ignbrk", "-brkint", "-parmrk", "-istrip", "-inlcr", "-igncr", "-icrnl", "-ixon", "opost",
                        "-echo", "-echonl", "-icanon", "-iexten", get(SIGNAL) ? "isig" : "-isig", "min", "1", "time", "0");
            }
        }
        startWriter();
        startThread("in", this::readInput);
    }

    /** Polls standard input, so the thread can stop when the chardev goes (a blocked read could not be woken). */
    private void readInput() {
        byte[] buf = new byte[4096];
        try {
            while (!closing) {
                int avail = in.available();
                if (avail <= 0) {
                    Thread.sleep(10);
                    continue;
                }
                int n = in.read(buf, 0, Math.min(buf.length, avail));
                if (n < 0) return;
                if (n > 0 && !received(buf, 0, n)) return;
            }
        } catch (IOException | InterruptedException e) {
            // stdin closed, or the chardev is closing
        }
    }

    @Override protected void sink(byte[] data, int offset, int length) throws IOException {
        out.write(data, offset, length);
        out.flush();
    }

    @Override protected void onClosed() {
        if (savedTerminal != null) {
            stty(savedTerminal.trim());
            savedTerminal = null;
        }
        if (restoreHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException e) {
                // the process is exiting; the hook runs anyway
            }
            restoreHook = null;
        }
        OWNER.compareAndSet(this, null);
    }

    @Override String filename() { return "stdio"; }

    private static boolean stdinIsTerminal() {
        try {
            Process p = new ProcessBuilder("test", "-t", "0").redirectInput(Redirect.INHERIT)
                    .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs stty on our standard input; returns its output, or null when it failed. */
    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(Redirect.INHERIT).redirectError(Redirect.DISCARD).start();
            String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
            return outText;
        } catch (IOException | InterruptedException e) {
            LOG.fine("stty failed: " + e);
            return null;
        }
    }
}
