package org.orrery.dbus.internal;

/**
 * The front-end on a small machine (a board at /machine and nothing else) for the benchmark, until the
 * whole distribution boots a virt machine: {@code BenchServer ADDRESS NAME}. Prints "ready" once it owns the name.
 */
public final class BenchServer {
    public static void main(String[] args) throws Exception {
        TestPlatform p = new TestPlatform();
        p.qmp("dbus-add", "id", "bench", "name", args[1], "addr", args[0]);
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join();
    }
}
