package org.orrery.machine.display;

import org.orrery.qom.ObjectTree;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The consoles and input devices of one machine (kept as an attachment of its tree): display devices register their
 * heads, input devices register as receivers, front-ends look both up. Registration happens on the machine thread;
 * front-ends may read and send input from any thread (input is delivered on the machine thread, in order).
 */
public final class Consoles {
    private final ObjectTree tree;
    private final List<Console> consoles = new CopyOnWriteArrayList<>();
    private final List<InputReceiver> receivers = new CopyOnWriteArrayList<>();
    private final List<Runnable> watchers = new CopyOnWriteArrayList<>();
    /** Input events posted and not yet delivered: a client flooding events cannot grow the machine's task queue. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /** The most input events waiting for the machine thread; more are dropped, as a keyboard controller drops keys. */
    public static final int MAX_IN_FLIGHT = 1024;

    private Consoles(ObjectTree tree) { this.tree = tree; }

    /** The consoles of the machine whose tree this is (made on first use). */
    public static Consoles of(ObjectTree tree) {
        synchronized (tree) {
            Consoles c = tree.attachment(Consoles.class);
            if (c == null) {
                c = new Consoles(tree);
                tree.attach(Consoles.class, c);
            }
            return c;
        }
    }

    public void register(Console c) {
        consoles.add(c);
        changed();
    }

    public void unregister(Console c) {
        if (consoles.remove(c)) changed();
    }

    /** Every console, in the order the devices were realized. */
    public List<Console> list() { return List.copyOf(consoles); }

    /** The first console: what a front-end shows unless told otherwise. */
    public Optional<Console> primary() { return consoles.isEmpty() ? Optional.empty() : Optional.of(consoles.get(0)); }

    /** The console of {@code device} (its name or path) at {@code head}. */
    public Optional<Console> find(String device, int head) {
        for (Console c : consoles) if (c.device().equals(device) && c.head() == head) return Optional.of(c);
        return Optional.empty();
    }

    /** Whether some console belongs to {@code device}. */
    public boolean hasDevice(String device) { return consoles.stream().anyMatch(c -> c.device().equals(device)); }

    /** {@code watcher} runs whenever a console comes or goes (on the machine thread). */
    public void watch(Runnable watcher) { watchers.add(watcher); }

    public void unwatch(Runnable watcher) { watchers.remove(watcher); }

    private void changed() { for (Runnable w : watchers) w.run(); }

    // ---- input ----

    public void addReceiver(InputReceiver r) { receivers.add(r); }

    public void removeReceiver(InputReceiver r) { receivers.remove(r); }

    /** Whether an input device of this kind is there to receive events. */
    public boolean hasReceiver(InputReceiver.Kind kind) { return receivers.stream().anyMatch(r -> r.kind() == kind); }

    /** A key press or release, for the first keyboard (from any thread; delivered on the machine thread). */
    public void sendKey(int code, boolean down) {
        deliver(InputReceiver.Kind.KEYBOARD, r -> r.key(code, down));
    }

    /** An absolute pointer position, buttons and wheel steps, for the first pointer. */
    public void sendPointer(int x, int y, int buttons, int wheelSteps) {
        deliver(InputReceiver.Kind.POINTER, r -> {
            r.pointer(x, y, buttons);
            if (wheelSteps != 0) r.wheel(wheelSteps);
        });
    }

    private void deliver(InputReceiver.Kind kind, java.util.function.Consumer<InputReceiver> event) {
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            return;
        }
        tree.safePoint().post(() -> {
            inFlight.decrementAndGet();
            for (InputReceiver r : receivers)
                if (r.kind() == kind) {
                    event.accept(r);
                    r.sync();
                    return;
                }
        });
    }
}
