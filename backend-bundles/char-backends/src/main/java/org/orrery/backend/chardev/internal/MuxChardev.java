package org.orrery.backend.chardev.internal;

import org.orrery.machine.Machine;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.machine.backend.CharFrontEnd.CharEvent;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chardev-mux}: shares one chardev ({@code chardev}, the base) between several front-ends, as
 * {@code -serial mon:stdio} shares the terminal between the UART and the human monitor. Output of every
 * front-end goes to the base; input goes to the front-end with the focus. The newest front-end takes the
 * focus when it attaches (so after start-up the guest console has it, as in QEMU). Ctrl-a escapes, as in
 * QEMU: {@code c} moves the focus to the next front-end, {@code x} quits the emulator, {@code h} prints help,
 * {@code b} sends a break, {@code Ctrl-a} sends a Ctrl-a, {@code s} and {@code t} are accepted and ignored.
 */
final class MuxChardev extends Chardev {
    static final int MAX_FRONT_ENDS = 4;
    static final byte ESCAPE = 0x01;
    static final Property<QObject> CHARDEV = Property.of("chardev", PropertyTypes.link("chardev", QObject.class, "/chardevs")).required()
            .description("the chardev to share (its id under /chardevs)");

    private final List<CharFrontEnd> frontEnds = new ArrayList<>();
    private int focus = -1;
    private boolean escaped;
    private Chardev base;

    /** How the mux sits on its base: as the base's one front-end. */
    private final CharFrontEnd onBase = new CharFrontEnd() {
        @Override public int canReceive() {
            if (escaped) return 1;
            CharFrontEnd fe = focused();
            if (fe == null) return BUFFER; // nobody listens: input is dropped
            return Math.max(fe.canReceive(), 0);
        }

        @Override public void receive(byte[] data, int offset, int length) { input(data, offset, length); }

        @Override public void event(CharEvent event) {
            if (event == CharEvent.BREAK) {
                CharFrontEnd fe = focused();
                if (fe != null) fe.event(event);
            } else {
                for (CharFrontEnd fe : List.copyOf(frontEnds)) fe.event(event);
            }
        }

        @Override public void outputReady() {
            for (CharFrontEnd fe : List.copyOf(frontEnds)) fe.outputReady();
        }
    };

    @Override protected void open() {
        QObject target = get(CHARDEV);
        if (!(target instanceof Chardev c)) throw new QomException("chardev-mux: '" + target.path() + "' is not a chardev");
        if (c instanceof MuxChardev) throw new QomException("chardev-mux: cannot multiplex another mux ('" + c.name() + "')");
        c.attach(onBase);
        base = c;
    }

    @Override protected void close() {
        if (base != null) base.detach(onBase);
        base = null;
        frontEnds.clear();
        focus = -1;
    }

    @Override String filename() { return "mux"; }

    @Override public void attach(CharFrontEnd fe) {
        if (fe == null) throw new IllegalArgumentException("front-end is null");
        if (!isRealized() || base == null) throw new QomException("Chardev '" + name() + "' is not open");
        if (frontEnds.contains(fe)) return;
        if (frontEnds.size() >= MAX_FRONT_ENDS) throw new QomException("Too many uses of chardevs '" + name() + "'");
        frontEnds.add(fe);
        if (base.isConnected()) post(() -> { if (frontEnds.contains(fe)) fe.event(CharEvent.OPENED); });
        setFocus(frontEnds.size() - 1);
    }

    @Override public void detach(CharFrontEnd fe) {
        int i = frontEnds.indexOf(fe);
        if (i < 0) return;
        frontEnds.remove(i);
        // the focus does not jump by itself (a UART leaving with its bundle, the container stopping):
        // input waits until a front-end attaches or the user switches with Ctrl-a c
        if (focus == i) focus = -1;
        else if (focus > i) focus--;
    }

    @Override boolean hasFrontEnd() { return !frontEnds.isEmpty(); }

    /** The front-ends in the order they attached. */
    List<CharFrontEnd> frontEnds() { return List.copyOf(frontEnds); }

    CharFrontEnd focused() { return focus >= 0 && focus < frontEnds.size() ? frontEnds.get(focus) : null; }

    /** Gives the input focus to {@code fe} (for example the monitor, to show it first). */
    void focus(CharFrontEnd fe) {
        int i = frontEnds.indexOf(fe);
        if (i >= 0) setFocus(i);
    }

    private void setFocus(int index) {
        CharFrontEnd old = focused();
        if (focus == index && old != null) return;
        if (old != null) old.event(CharEvent.MUX_OUT);
        focus = index;
        CharFrontEnd now = focused();
        if (now != null) now.event(CharEvent.MUX_IN);
        if (base != null) base.frontEndReady();
    }

    @Override protected int output(byte[] data, int offset, int length) {
        Chardev b = base;
        return b == null ? length : b.write(data, offset, length);
    }

    @Override public void frontEndReady() { if (base != null) base.frontEndReady(); }

    @Override public boolean isConnected() { return base != null && base.isConnected(); }

    // ---- input from the base, on the machine thread ----

    private void input(byte[] data, int offset, int length) {
        int runStart = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = data[i];
            if (escaped) {
                escaped = false;
                runStart = i + 1;
                if (b == ESCAPE) deliver(new byte[] {ESCAPE}, 0, 1);
                else command(b);
            } else if (b == ESCAPE) {
                deliver(data, runStart, i - runStart);
                escaped = true;
                runStart = i + 1;
            }
        }
        if (!escaped) deliver(data, runStart, end - runStart);
    }

    private void deliver(byte[] data, int offset, int length) {
        if (length <= 0) return;
        CharFrontEnd fe = focused();
        if (fe != null) fe.receive(data, offset, length);
    }

    private void command(byte b) {
        switch (b) {
            case 'h', 'H', '?' -> say("""
                    C-a h    print this help
                    C-a x    exit emulator
                    C-a s    save disk data back to file (if -snapshot)
                    C-a t    toggle console timestamps
                    C-a b    send break (magic sysrq)
                    C-a c    switch between console and monitor
                    C-a C-a  sends C-a
                    """);
            case 'x', 'X' -> {
                say("QEMU: Terminated\n");
                Machine m = tree().attachment(Machine.class);
                if (m != null) m.quit(0);
            }
            case 'c', 'C' -> {
                if (!frontEnds.isEmpty()) setFocus((focus + 1) % frontEnds.size());
            }
            case 'b', 'B' -> {
                CharFrontEnd fe = focused();
                if (fe != null) fe.event(CharEvent.BREAK);
            }
            default -> { } // s, t and anything else: nothing to do
        }
    }

    private void say(String text) {
        byte[] bytes = text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        if (base != null) base.write(bytes, 0, bytes.length);
    }
}
