package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.machine.Machine;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;

/** Run by MuxAndPtyTest in a child JVM: -chardev stdio,id=c,mux=on with an upper-casing echo front-end. */
public final class StdioMain {
    public static void main(String[] args) {
        TestMachine m = ChardevTestSupport.machine();
        m.tree.attach(Machine.class, (Machine) Proxy.newProxyInstance(Machine.class.getClassLoader(), new Class<?>[] {Machine.class},
                (p, method, a) -> {
                    if (method.getName().equals("quit")) {
                        new Thread(() -> { try { Thread.sleep(200); } catch (InterruptedException e) { } System.exit((Integer) a[0]); }).start();
                    }
                    return null;
                }));
        m.text("x-chardev-add-opts", "{\"id\":\"c\",\"backend\":\"stdio\",\"mux\":\"on\",\"signal\":\"off\"}");
        CharBackend c = (CharBackend) m.call(() -> m.tree.resolve("/chardevs/c"));
        m.call(() -> {
            c.attach(new CharFrontEnd() {
                @Override public int canReceive() { return 64; }
                @Override public void receive(byte[] data, int offset, int length) {
                    byte[] up = new String(data, offset, length, StandardCharsets.ISO_8859_1).toUpperCase().getBytes(StandardCharsets.ISO_8859_1);
                    c.write(up, 0, up.length);
                }
            });
            byte[] ready = "ready\n".getBytes(StandardCharsets.US_ASCII);
            c.write(ready, 0, ready.length);
            return null;
        });
        try { Thread.sleep(60_000); } catch (InterruptedException e) { }
        System.exit(3);
    }
}
