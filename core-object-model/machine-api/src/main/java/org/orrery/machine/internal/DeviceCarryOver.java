package org.orrery.machine.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.machine.device.Device;
import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateRecord;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.ObjectType;
import org.orrery.qom.QObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Live device upgrade: when a device type goes because its bundle is being updated (or refreshed), each live
 * instance's state is saved with the old code; a device the user added is taken out without a DEVICE_DELETED
 * (it is coming back) and remembered with its place and properties. When the type is registered again, the
 * board's devices (made again by the board) and the user's (made again here, at the same path with the same
 * properties) take over their saved states, migrated by the new code's description. A state the new code
 * refuses leaves that device as the new code resets it, and the error is logged: the old code is gone by then.
 */
final class DeviceCarryOver {
    private static final Logger LOG = Logger.getLogger(DeviceCarryOver.class.getName());

    /** What makes an object again where it was: its place, type and given properties. */
    private interface Waiting {
        String parentPath();
        String name();
        String type();
        ObjectNode properties();
    }

    /** A user device waiting for its type, and the state it saved. */
    private record Pending(String parentPath, String name, String type, ObjectNode properties, StateRecord state) implements Waiting { }

    /** A backend object waiting for its type, and the links that pointed at it (holder path, property). */
    private record PendingBackend(String parentPath, String name, String type, ObjectNode properties, List<String[]> linkers)
            implements Waiting { }

    private final String machineName;
    private final Map<String, StateRecord> boardStates = new HashMap<>();
    private final List<Pending> pending = new ArrayList<>();
    private final List<PendingBackend> backends = new ArrayList<>();

    DeviceCarryOver(String machineName) { this.machineName = machineName; }

    /** Saves the state of a board device whose type is being replaced (the board makes it again). */
    void saveBoardDevice(QObject o) {
        StateRecord s = stateOf(o);
        if (s != null) boardStates.put(o.path(), s);
    }

    /** Takes a user's device whose type is being replaced out of the tree, silently, keeping what it takes to make it again. */
    void takeOut(ObjectTree tree, QObject o) {
        pending.add(new Pending(o.parent().path(), o.name(), o.type().name(), o.setValues(), stateOf(o)));
        tree.discard(o);
    }

    /**
     * A backend the user made (a chardev, a netdev, an RNG backend) whose type is being replaced: taken out silently
     * with its properties and the links that pointed at it, to be made again and linked again when the type is back.
     * The devices using it lose it meanwhile (the machine is paused) and take up its successor through
     * {@code onLinkRestored}. Guest RAM is not a backend that can go: its memory backend is left to the removal.
     */
    void takeOutBackend(ObjectTree tree, QObject o) {
        List<String[]> linkers = new ArrayList<>();
        for (String l : tree.linkersOf(o)) {
            int dot = l.lastIndexOf('.');
            linkers.add(new String[]{l.substring(0, dot), l.substring(dot + 1)});
        }
        backends.add(new PendingBackend(o.parent().path(), o.name(), o.type().name(), o.setValues(), linkers));
        tree.discard(o);
    }

    /** Whether {@code o} is a backend {@link #takeOutBackend} can carry over. */
    static boolean isUserBackend(QObject o) {
        if (o instanceof Device || o instanceof org.orrery.machine.backend.MemoryBackend || o.parent() == null) return false;
        String parent = o.parent().path();
        return parent.equals("/chardevs") || parent.equals("/netdevs") || parent.equals("/objects");
    }

    /** Makes again every waiting backend whose type is back, and points the links that pointed at it at the new one. */
    List<QObject> recreateBackends(ObjectTree tree) {
        return makeAgainWhereTypeIsBack(tree, backends, (p, o) -> {
            for (String[] l : p.linkers) {
                QObject holder = tree.resolve(l[0]);
                if (holder == null) continue;
                try {
                    tree.relink(holder, l[1], o);
                } catch (RuntimeException e) {
                    LOG.warning("machine " + machineName + ": " + l[0] + " could not take up the new " + o.path() + ": " + e.getMessage());
                }
            }
        });
    }

    private StateRecord stateOf(QObject o) {
        if (!(o instanceof Device d)) return null;
        try {
            return d.saveState();
        } catch (RuntimeException e) {
            LOG.warning("machine " + machineName + ": " + o.path() + " could not save its state for the update: " + e.getMessage());
            return null;
        }
    }

    /** Gives a board device the board made again the state its predecessor saved. */
    void restoreBoardDevice(QObject o) {
        StateRecord s = boardStates.remove(o.path());
        if (s != null) restore(o, s);
    }

    /** Types of user devices and backends waiting for their type to come back. */
    Set<String> waitingTypes() {
        Set<String> out = new TreeSet<>();
        for (Pending p : pending) out.add(p.type);
        for (PendingBackend p : backends) out.add(p.type);
        return out;
    }

    /** Makes again every waiting user device whose type is back; returns those made. */
    List<QObject> recreate(ObjectTree tree) {
        return makeAgainWhereTypeIsBack(tree, pending, (p, o) -> {
            if (p.state != null) restore(o, p.state);
        });
    }

    /**
     * Takes out of {@code waiting} each entry whose type is registered (and concrete) again, makes its object
     * again and lets {@code takeOver} give the new object what the old one left; returns the objects made.
     */
    private <W extends Waiting> List<QObject> makeAgainWhereTypeIsBack(ObjectTree tree, List<W> waiting, BiConsumer<W, QObject> takeOver) {
        List<QObject> made = new ArrayList<>();
        for (Iterator<W> it = waiting.iterator(); it.hasNext(); ) {
            W w = it.next();
            Optional<ObjectType> t = tree.registry().find(w.type());
            if (t.isEmpty() || t.get().isAbstract()) continue;
            it.remove();
            QObject o = makeAgain(tree, w);
            if (o == null) continue;
            takeOver.accept(w, o);
            made.add(o);
        }
        return made;
    }

    /**
     * Makes the waiting object's type again at its place with its properties and realizes it; null when something
     * took the place meanwhile or the new code refuses (logged; the object is then gone for good, and announced).
     */
    private QObject makeAgain(ObjectTree tree, Waiting w) {
        QObject parent = tree.container(w.parentPath());
        if (parent.child(w.name()) != null) return null;
        try {
            return tree.createRealized(parent, w.name(), w.type(), w.properties());
        } catch (RuntimeException e) {
            LOG.warning("machine " + machineName + ": " + w.parentPath() + "/" + w.name() + " (" + w.type()
                    + ") could not be made again by the updated bundle: " + e.getMessage());
            return null;
        }
    }

    private void restore(QObject o, StateRecord s) {
        try {
            ((Device) o).restoreState(s);
            LOG.info("machine " + machineName + ": " + o.path() + " (" + o.type().name() + ") carries on with its state under the updated bundle");
        } catch (StateException | ClassCastException e) {
            LOG.warning("machine " + machineName + ": the updated " + o.type().name() + " at " + o.path()
                    + " cannot take its predecessor's state (" + e.getMessage() + "); it starts from reset");
        }
    }

    /** A device the user added (device_add, -device): directly under /machine/peripheral or peripheral-anon. */
    static boolean isUserDevice(QObject o) {
        String parent = o.parent() == null ? "" : o.parent().path();
        return parent.equals("/machine/peripheral") || parent.equals("/machine/peripheral-anon");
    }
}
