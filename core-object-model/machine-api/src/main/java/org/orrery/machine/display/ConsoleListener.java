package org.orrery.machine.display;

/**
 * A front-end watching a console. Called on the thread that draws (the machine thread, or a hart's thread holding
 * the device lock): return at once, never block, never call back into the device.
 */
public interface ConsoleListener {
    /** The console shows a new surface (a resize, a mode set, the head switched off and back). */
    void surfaceChanged(Console console, Surface surface);

    /** The pixels of a rectangle of the current surface changed. */
    void updated(Console console, int x, int y, int width, int height);
}
