package org.orrery.qmp.server.internal;

/**
 * A stand-alone QMP server for acceptance checkers and benchmarks, until the real launcher exists:
 * {@code QmpTestServerMain unix:/tmp/q.sock,server=on,wait=off [more addresses]} serves a test machine
 * (a /machine of type test-machine with a uart, the core commands, stand-ins for query-status/stop/cont)
 * until killed. Prints "ready" once listening.
 */
public final class QmpTestServerMain {
    private QmpTestServerMain() { }

    public static void main(String[] args) throws InterruptedException {
        TestMachine m = new TestMachine();
        int i = 0;
        for (String a : args) {
            boolean pretty = a.startsWith("pretty:");
            m.listen("qmp" + i++, pretty ? a.substring(7) : a, pretty);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(m::close));
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join();
    }
}
