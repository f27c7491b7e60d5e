package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.orrery.command.CommandLayer;
import org.orrery.qom.ContainerStart;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every QMP endpoint of the container, per machine tree. Endpoint ids are unique within a tree, as
 * chardev ids are within a QEMU process. When a tree is disposed (its machine is destroyed) its
 * endpoints close.
 */
final class QmpServer {
    /** Default upper bound of one QMP input text; QEMU's is 64 MiB, which no real command needs. */
    static final int DEFAULT_MAX_MESSAGE = 16 << 20;

    private final Map<ObjectTree, Map<String, QmpListener>> byTree = new HashMap<>();
    private final Map<ObjectTree, ObjectTree.Listener> treeWatchers = new HashMap<>();
    private final ThreadTracker threads = new ThreadTracker();
    private final int maxMessageSize;
    private final ObjectMapper mapper;
    /** How long a command waits at most for the command line to finish configuring the machine. */
    private static final long COMMAND_LINE_WAIT_MILLIS = 120_000;
    /**
     * The command line configuring the machine: a client is greeted and negotiates at once, but its commands wait
     * until it is done, as QEMU answers its monitors only once its command line is applied (bounded: a command line
     * that hangs does not take the monitor with it).
     */
    private final ContainerStart commandLine = new ContainerStart(COMMAND_LINE_WAIT_MILLIS);
    private boolean closed;

    QmpServer() { this(DEFAULT_MAX_MESSAGE); }

    QmpServer(int maxMessageSize) {
        this.maxMessageSize = maxMessageSize;
        this.mapper = QmpJson.mapper(maxMessageSize);
    }

    ThreadTracker threads() { return threads; }
    ContainerStart commandLine() { return commandLine; }
    ObjectMapper mapper() { return mapper; }
    int maxMessageSize() { return maxMessageSize; }

    QmpListener add(ObjectTree tree, CommandLayer layer, String id, String addressText, boolean pretty) {
        QmpAddress address = QmpAddress.parse(addressText);
        if (id == null || id.isEmpty()) throw new QomException("Parameter 'id' must not be empty");
        QmpListener l = new QmpListener(this, id, address, pretty, tree, layer);
        synchronized (this) {
            if (closed) throw new QomException("the QMP server is stopping");
            Map<String, QmpListener> m = byTree.computeIfAbsent(tree, t -> new LinkedHashMap<>());
            if (m.containsKey(id)) throw new QomException("Duplicate ID '" + id + "' for QMP listener");
            m.put(id, l);   // reserved before start(), which may block in wait=on
            watch(tree);
        }
        try {
            l.start();
        } catch (RuntimeException e) {
            forget(tree, id, l);
            l.close();
            throw e;
        }
        return l;
    }

    void remove(ObjectTree tree, String id) {
        QmpListener l;
        synchronized (this) {
            Map<String, QmpListener> m = byTree.get(tree);
            l = m == null ? null : m.get(id);
            if (l == null) throw new QomException("QMP listener '" + id + "' not found");
            forget(tree, id, l);
        }
        l.close();
    }

    synchronized List<QmpListener> list(ObjectTree tree) {
        Map<String, QmpListener> m = byTree.get(tree);
        return m == null ? List.of() : List.copyOf(m.values());
    }

    /** Closes every endpoint of every tree (bundle stop). */
    void closeAll() {
        List<QmpListener> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Map<String, QmpListener> m : byTree.values()) all.addAll(m.values());
            byTree.clear();
            for (Map.Entry<ObjectTree, ObjectTree.Listener> w : treeWatchers.entrySet()) w.getKey().removeListener(w.getValue());
            treeWatchers.clear();
        }
        for (QmpListener l : all) l.close();
    }

    /** Closes every endpoint of one tree (its machine is going away). */
    void closeTree(ObjectTree tree) {
        List<QmpListener> doomed;
        synchronized (this) {
            Map<String, QmpListener> m = byTree.remove(tree);
            doomed = m == null ? List.of() : List.copyOf(m.values());
            ObjectTree.Listener w = treeWatchers.remove(tree);
            if (w != null) tree.removeListener(w);
        }
        for (QmpListener l : doomed) l.close();
    }

    private synchronized void forget(ObjectTree tree, String id, QmpListener l) {
        Map<String, QmpListener> m = byTree.get(tree);
        if (m == null || !m.remove(id, l)) return;
        if (m.isEmpty()) {
            byTree.remove(tree);
            ObjectTree.Listener w = treeWatchers.remove(tree);
            if (w != null) tree.removeListener(w);
        }
    }

    private void watch(ObjectTree tree) {
        if (treeWatchers.containsKey(tree)) return;
        ObjectTree.Listener w = new ObjectTree.Listener() {
            @Override public void treeDisposed() { closeTree(tree); }
        };
        treeWatchers.put(tree, w);
        tree.addListener(w);
    }
}
