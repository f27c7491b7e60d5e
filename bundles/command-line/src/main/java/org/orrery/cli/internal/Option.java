package org.orrery.cli.internal;

/** One option of the command line as written: its canonical name and its argument (null for flags). */
record Option(String name, String argument) {
    /** How it was written, for error messages: "-device virtio-blk-device,drive=d0". */
    String written() { return argument == null ? "-" + name : "-" + name + " " + argument; }
}
