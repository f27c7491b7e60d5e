package org.orrery.shell.hmp.internal;

import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One human monitor attached to a chardev: greets, prints the "(qemu) " prompt, edits the line being
 * typed (backspace, Ctrl-U; escape sequences are ignored) and runs each line through {@link Hmp}.
 * Assumes nothing of a terminal beyond echoing; output lines end in CR LF as QEMU's do. Called on the
 * machine thread only.
 */
final class MonitorFrontEnd implements CharFrontEnd {
    static final String PROMPT = "(qemu) ";
    /** Input is refused while this much output waits for the backend (back-pressure). */
    private static final int MAX_PENDING = 64 * 1024;

    private final String id;
    private final CharBackend backend;
    private final Hmp hmp;
    private final String banner;
    private final StringBuilder line = new StringBuilder();
    private final ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
    private byte[] pending = new byte[0];
    private int pendingStart;
    private boolean greeted;
    /** Set once a mux tells us about focus: the greeting then waits for the user to switch here. */
    private boolean muxed;
    private boolean switchedAway;
    private boolean lastWasCr;
    private int escape; // 0 none, 1 after ESC, 2 inside CSI

    MonitorFrontEnd(String id, CharBackend backend, Hmp hmp, String banner) {
        this.id = id;
        this.backend = backend;
        this.hmp = hmp;
        this.banner = banner;
    }

    String id() { return id; }
    CharBackend backend() { return backend; }

    void attach() {
        backend.attach(this);
        // behind a mux (-serial mon:stdio) the monitor stays quiet until the user switches to it (Ctrl-a c)
        if (backend.isConnected() && !muxed) greet();
    }

    void detach() { backend.detach(this); }

    private void greet() {
        greeted = true;
        line.setLength(0);
        write(banner + "\n" + PROMPT);
    }

    @Override public int canReceive() { return pending.length - pendingStart > MAX_PENDING ? 0 : 4096; }

    @Override public void receive(byte[] data, int offset, int length) {
        if (!greeted) greet();
        for (int i = 0; i < length; i++) key(data[offset + i] & 0xff);
    }

    private void key(int b) {
        if (escape == 1) { escape = b == '[' || b == 'O' ? 2 : 0; return; }
        if (escape == 2) { if (b >= 0x40 && b <= 0x7e) escape = 0; return; }
        boolean cr = lastWasCr;
        lastWasCr = b == '\r';
        switch (b) {
            case 0x1b -> escape = 1;
            case '\r' -> enter();
            case '\n' -> { if (!cr) enter(); }
            case 0x7f, 0x08 -> {
                flushUtf8();
                if (!line.isEmpty()) {
                    line.setLength(line.length() - 1);
                    write("\b \b");
                }
            }
            case 0x15 -> {
                flushUtf8();
                write("\b \b".repeat(line.length()));
                line.setLength(0);
            }
            default -> {
                if (b < 0x20) return; // other control characters do nothing
                if (b >= 0x80) { utf8.write(b); if (utf8Complete()) flushUtf8(); return; }
                flushUtf8();
                line.append((char) b);
                write(String.valueOf((char) b));
            }
        }
    }

    private boolean utf8Complete() {
        byte[] u = utf8.toByteArray();
        int lead = u[0] & 0xff;
        int need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        return u.length >= need;
    }

    private void flushUtf8() {
        if (utf8.size() == 0) return;
        String s = utf8.toString(StandardCharsets.UTF_8);
        utf8.reset();
        line.append(s);
        write(s);
    }

    private void enter() {
        flushUtf8();
        String cmd = line.toString();
        line.setLength(0);
        write("\n");
        String result = hmp.execute(cmd);
        write(result + PROMPT);
    }

    @Override public void event(CharEvent event) {
        switch (event) {
            case OPENED -> { if (!muxed) greet(); }
            case CLOSED -> { greeted = false; line.setLength(0); }
            case MUX_OUT -> { muxed = true; switchedAway = true; }
            case MUX_IN -> {
                muxed = true;
                if (switchedAway && !greeted) greet();
            }
            default -> { }
        }
    }

    @Override public void outputReady() { flush(); }

    /** Queues text with LF turned into CR LF, and writes what the backend takes now. */
    private void write(String text) {
        byte[] b = text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        int have = pending.length - pendingStart;
        byte[] n = new byte[have + b.length];
        System.arraycopy(pending, pendingStart, n, 0, have);
        System.arraycopy(b, 0, n, have, b.length);
        pending = n;
        pendingStart = 0;
        flush();
    }

    private void flush() {
        boolean wasBlocked = canReceive() == 0;
        while (pendingStart < pending.length) {
            int n = backend.write(pending, pendingStart, pending.length - pendingStart);
            if (n <= 0) break;
            pendingStart += n;
        }
        if (pendingStart == pending.length) { pending = new byte[0]; pendingStart = 0; }
        if (wasBlocked && canReceive() > 0) backend.frontEndReady();
    }
}
