package org.orrery.machine.display;

import org.junit.jupiter.api.Test;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.SafePoint;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

/** The console layer's registry: lookup, and input delivered on the machine thread in order, bounded. */
class ConsolesTest {
    /** A machine thread that runs posted work only when the test says so. */
    static final class QueuedSafePoint implements SafePoint {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override public <T> T call(Callable<T> task) { throw new UnsupportedOperationException(); }
        @Override public void post(Runnable task) { tasks.add(task); }
        @Override public boolean isCurrentThread() { return false; }

        void runAll() { while (!tasks.isEmpty()) tasks.poll().run(); }
    }

    final QueuedSafePoint machineThread = new QueuedSafePoint();
    final ObjectTree tree = new ObjectTree(new TypeRegistryImpl(), machineThread);

    @Test void oneRegistryPerTreeAndLookupByDeviceAndHead() {
        Consoles c = Consoles.of(tree);
        assertSame(c, Consoles.of(tree));
        assertNotSame(c, Consoles.of(new ObjectTree(new TypeRegistryImpl(), machineThread)), "another machine has its own");
        List<String> changes = new ArrayList<>();
        c.watch(() -> changes.add("changed"));
        Console a = new Console("gpu0", 0), b = new Console("gpu0", 1);
        c.register(a);
        c.register(b);
        assertSame(a, c.primary().orElseThrow());
        assertSame(b, c.find("gpu0", 1).orElseThrow());
        assertTrue(c.find("gpu0", 2).isEmpty());
        c.unregister(a);
        assertSame(b, c.primary().orElseThrow());
        assertEquals(3, changes.size());
    }

    @Test void inputWaitsForTheMachineThreadInOrderAndAFloodIsCut() {
        Consoles c = Consoles.of(tree);
        List<String> got = new ArrayList<>();
        c.addReceiver(new InputReceiver() {
            @Override public Kind kind() { return Kind.KEYBOARD; }
            @Override public void key(int code, boolean down) { got.add(code + (down ? "d" : "u")); }
            @Override public void sync() { }
        });
        c.sendKey(30, true);
        c.sendKey(30, false);
        assertTrue(got.isEmpty(), "nothing before the machine thread runs it");
        machineThread.runAll();
        assertEquals(List.of("30d", "30u"), got);
        got.clear();
        for (int i = 0; i < 5 * Consoles.MAX_IN_FLIGHT; i++) c.sendKey(2, true);
        assertEquals(Consoles.MAX_IN_FLIGHT, machineThread.tasks.size());
        machineThread.runAll();
        assertEquals(Consoles.MAX_IN_FLIGHT, got.size());
        c.sendKey(3, true);
        machineThread.runAll();
        assertEquals("3d", got.get(got.size() - 1), "delivered again once the backlog drained");
    }

    @Test void aSurfaceRefusesRectanglesOutsideIt() {
        Surface s = new Surface(4, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> s.write(3, 3, 2, 1, new int[2], 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new Surface(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new Surface(Surface.MAX_SIDE + 1, 1));
    }
}
