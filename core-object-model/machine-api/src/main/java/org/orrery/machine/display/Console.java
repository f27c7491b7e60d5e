package org.orrery.machine.display;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One head of a display device: the surface it shows and who watches it. The device replaces the surface when the
 * guest sets a mode and reports the rectangles it changes; listeners (front-ends) hear both. The device never learns
 * who watches.
 */
public final class Console {
    /** What a head shows before the guest sets a mode, and after it switches the head off: black, as QEMU's placeholder is big. */
    public static final int BLANK_WIDTH = 640, BLANK_HEIGHT = 480;

    private final String device;
    private final int head;
    private final List<ConsoleListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Surface surface = new Surface(BLANK_WIDTH, BLANK_HEIGHT);
    private volatile Runnable refresher = () -> { };

    /**
     * @param device the device's name as screendump's {@code device=} gives it (its id), or its path
     * @param head   the head's index on that device
     */
    public Console(String device, int head) {
        this.device = device;
        this.head = head;
    }

    public String device() { return device; }

    public int head() { return head; }

    public Surface surface() { return surface; }

    /** Shows {@code next} (of any size) instead of the current surface. */
    public void replaceSurface(Surface next) {
        surface = next;
        for (ConsoleListener l : listeners) l.surfaceChanged(this, next);
    }

    /** Shows a black placeholder (the head is off). */
    public void blank() {
        Surface s = surface;
        if (s.width() == BLANK_WIDTH && s.height() == BLANK_HEIGHT) {
            s.fill(0);
            updated(0, 0, BLANK_WIDTH, BLANK_HEIGHT);
        } else {
            replaceSurface(new Surface(BLANK_WIDTH, BLANK_HEIGHT));
        }
    }

    /**
     * For a device that is not told when the guest draws (a plain framebuffer): how to bring the surface up to date
     * now. It runs on the machine thread.
     */
    public void setRefresher(Runnable r) { refresher = r; }

    /** Brings the surface up to date before a picture is taken; call only at a safe point (the machine thread). */
    public void refresh() { refresher.run(); }

    /** The device changed the pixels of a rectangle of the current surface. */
    public void updated(int x, int y, int width, int height) {
        if (width <= 0 || height <= 0) return;
        for (ConsoleListener l : listeners) l.updated(this, x, y, width, height);
    }

    public void addListener(ConsoleListener l) { listeners.add(l); }

    public void removeListener(ConsoleListener l) { listeners.remove(l); }

    @Override public String toString() { return device + " head " + head; }
}
