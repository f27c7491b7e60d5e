package org.orrery.qom;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A machine's event stream. Listeners are called on the emitting thread and must not block. */
public final class EventBus {
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();

    public void subscribe(Consumer<Event> listener) { listeners.add(listener); }

    public void unsubscribe(Consumer<Event> listener) { listeners.remove(listener); }

    public void emit(String name, ObjectNode data) {
        Instant now = Instant.now();
        Event e = new Event(name, data == null ? JsonNodeFactory.instance.objectNode() : data,
                now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
        for (Consumer<Event> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ignored) {
                // one broken listener (a front-end whose client vanished) must not stop the others
            }
        }
    }
}
