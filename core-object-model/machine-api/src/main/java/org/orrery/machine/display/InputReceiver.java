package org.orrery.machine.display;

/**
 * An input device as the console layer sees it: a keyboard, or an absolute pointer (a tablet). Front-ends send
 * events through {@link Consoles}; they arrive here on the machine thread, a batch at a time ended by {@link #sync()}.
 * Keys are Linux input event codes (KEY_A = 30, ...), as virtio-input passes them on.
 */
public interface InputReceiver {
    /** The largest coordinate of an absolute pointer, each axis (QEMU's INPUT_EVENT_ABS_MAX). */
    int ABS_MAX = 0x7fff;

    /** Pointer buttons, as bits of {@link #pointer}'s mask: left, middle, right. */
    int BUTTON_LEFT = 1, BUTTON_MIDDLE = 2, BUTTON_RIGHT = 4;

    enum Kind { KEYBOARD, POINTER }

    Kind kind();

    /** A key went down or up (keyboards). */
    default void key(int code, boolean down) { }

    /** The pointer is at (x, y), each 0 .. {@link #ABS_MAX} across the display, with these buttons held (pointers). */
    default void pointer(int x, int y, int buttons) { }

    /** The wheel turned: positive away from the user (pointers). */
    default void wheel(int steps) { }

    /** The end of a batch of events (one key, one pointer move): the device passes them to the guest now. */
    void sync();
}
