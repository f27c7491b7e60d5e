package org.orrery.qmp.client;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qmp.client.inprocess.InProcessTransport;
import org.orrery.qmp.server.internal.TestMachine;

import java.io.IOException;

/**
 * Sequential qom-get /machine type round trips from Java with libqmp:
 * {@code QmpBenchMain unix:PATH [N]} against any QMP server (Orrery or QEMU), or
 * {@code QmpBenchMain inprocess [N]} against a test machine through the in-process transport.
 * Prints "qom-get/s RATE".
 */
public final class QmpBenchMain {
    private QmpBenchMain() { }

    public static void main(String[] args) throws IOException {
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
        TestMachine machine = null;
        QmpClient c;
        if (args[0].equals("inprocess")) {
            machine = new TestMachine();
            c = QmpClient.connect(new InProcessTransport(machine.layer, machine.tree));
        } else {
            c = QmpClient.connect(args[0]);
        }
        ObjectNode a = JsonNodeFactory.instance.objectNode().put("path", "/machine").put("property", "type");
        for (int i = 0; i < Math.min(n, 5000); i++) c.call("qom-get", a);   // warm-up (JIT)
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) c.call("qom-get", a);
        double s = (System.nanoTime() - t) / 1e9;
        System.out.printf("qom-get/s %.0f%n", n / s);
        c.close();
        if (machine != null) machine.close();
    }
}
