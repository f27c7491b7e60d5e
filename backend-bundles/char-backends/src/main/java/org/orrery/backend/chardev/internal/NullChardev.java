package org.orrery.backend.chardev.internal;

/** {@code chardev-null}: output vanishes, input never comes. */
final class NullChardev extends Chardev {
    @Override protected void open() { }

    @Override String filename() { return "null"; }

    @Override protected int output(byte[] data, int offset, int length) { return length; }
}
