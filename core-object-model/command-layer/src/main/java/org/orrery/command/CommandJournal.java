package org.orrery.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The configuration commands that made a machine what it is, in order: every command the schema marks
 * {@code "journal": true} is recorded with the objects it created. Saving the machine writes the entries
 * whose objects still exist (a deleted device takes its device_add with it; a later qom-set of the same
 * property replaces an earlier one), so replaying the file rebuilds the same tree. Lives on the machine
 * thread, attached to the tree by the machine runtime.
 */
public final class CommandJournal implements ObjectTree.Listener {
    /** One recorded command: its arguments as given, whether they were text, and the paths it created. */
    public record Entry(String command, JsonNode arguments, boolean text, List<String> created) { }

    private final ObjectTree tree;
    private final List<Entry> entries = new ArrayList<>();
    private List<String> recording;

    public CommandJournal(ObjectTree tree) {
        this.tree = tree;
        tree.addListener(this);
    }

    /** Starts collecting the objects the next command creates. */
    public void begin() { recording = new ArrayList<>(); }

    /** Records a command that succeeded. */
    public void commit(String command, JsonNode arguments, boolean text) {
        List<String> created = recording == null ? List.of() : List.copyOf(recording);
        recording = null;
        if (command.equals("qom-set")) {
            String path = arguments.path("path").asText(), prop = arguments.path("property").asText();
            entries.removeIf(e -> e.command().equals("qom-set") && e.arguments().path("path").asText().equals(path)
                    && e.arguments().path("property").asText().equals(prop));
        }
        entries.add(new Entry(command, arguments == null ? JsonNodeFactory.instance.objectNode() : arguments.deepCopy(), text, created));
    }

    /** Forgets what the failed command created. */
    public void abort() { recording = null; }

    @Override public void objectAdded(QObject object) {
        if (recording != null) recording.add(object.path());
    }

    /** The entries still in effect. */
    public List<Entry> live() {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            boolean alive = true;
            for (String p : e.created()) if (tree.resolve(p) == null) { alive = false; break; }
            if (alive && e.command().equals("qom-set") && tree.resolve(e.arguments().path("path").asText()) == null) alive = false;
            if (alive) out.add(e);
        }
        return out;
    }

    /** The live entries as a JSON list of QMP commands ({@code "dialect": "text"} marks command-line values). */
    public ArrayNode toJson() {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (Entry e : live()) {
            ObjectNode c = out.addObject().put("execute", e.command());
            c.set("arguments", e.arguments());
            if (e.text()) c.put("dialect", "text");
        }
        return out;
    }

    /** True if some entry's arguments mention {@code key}; for tests and tools. */
    public boolean mentions(String key) {
        for (Entry e : entries) for (Iterator<String> it = e.arguments().fieldNames(); it.hasNext(); ) if (it.next().equals(key)) return true;
        return false;
    }
}
