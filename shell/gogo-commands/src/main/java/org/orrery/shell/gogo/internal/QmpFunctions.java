package org.orrery.shell.gogo.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.orrery.command.Member;
import org.orrery.command.SchemaEntity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps one Gogo function per installed command (scope {@code qmp}), in step with the command layer:
 * commands that a newly installed bundle brings appear, commands of a removed bundle disappear.
 */
final class QmpFunctions {
    static final String SCOPE = "qmp";

    /** Where functions are registered: OSGi services in the container, a CommandProcessor in tests. */
    interface Registrar {
        void register(String name, Function function);

        void unregister(String name);
    }

    private final Shell shell;
    private final Registrar registrar;
    private final Map<String, Function> registered = new HashMap<>();
    private final Runnable listener = this::sync;

    QmpFunctions(Shell shell, Registrar registrar) {
        this.shell = shell;
        this.registrar = registrar;
    }

    void open() {
        shell.layer().addChangeListener(listener);
        sync();
    }

    synchronized void close() {
        shell.layer().removeChangeListener(listener);
        for (String n : List.copyOf(registered.keySet())) registrar.unregister(n);
        registered.clear();
    }

    synchronized Set<String> names() { return Set.copyOf(registered.keySet()); }

    synchronized void sync() {
        Set<String> now = new HashSet<>();
        for (SchemaEntity.Command c : shell.layer().commands()) now.add(c.name());
        for (String n : new ArrayList<>(registered.keySet())) {
            if (!now.contains(n)) {
                registered.remove(n);
                registrar.unregister(n);
            }
        }
        for (String n : now) {
            if (registered.containsKey(n)) continue;
            Function f = new QmpFunction(n);
            registered.put(n, f);
            registrar.register(n, f);
        }
    }

    /** One command as a Gogo function: {@code qmp:NAME key=value ...}, or {@code qmp:NAME --help}. */
    final class QmpFunction implements Function {
        private final String command;

        QmpFunction(String command) { this.command = command; }

        @Override public Object execute(CommandSession session, List<Object> arguments) {
            String first = arguments.isEmpty() ? "" : String.valueOf(arguments.get(0));
            if (arguments.size() == 1 && (first.equals("--help") || first.equals("-h")))
                return describe(shell, command);
            JsonNode r = shell.call(command, Shell.arguments(arguments));
            return Shell.format(r);
        }

        @Override public String toString() { return SCOPE + ":" + command; }
    }

    /** The schema's documentation of a command: what it does, its arguments and what it returns. */
    static String describe(Shell shell, String command) {
        SchemaEntity.Command c = shell.layer().command(command)
                .orElseThrow(() -> new CommandFailed("no command '" + command + "' is installed"));
        StringBuilder b = new StringBuilder();
        b.append(SCOPE).append(':').append(c.name());
        List<Member> members = members(shell, c.arguments());
        for (Member m : members) b.append(m.optional() ? " [" + m.name() + "=" + m.type() + "]" : " " + m.name() + "=" + m.type());
        if (c.extraArguments()) b.append(" [property=value ...]");
        b.append('\n');
        if (c.doc() != null && !c.doc().isBlank()) b.append("  ").append(c.doc()).append('\n');
        if (!members.isEmpty()) {
            b.append("arguments:\n");
            List<String[]> rows = new ArrayList<>();
            for (Member m : members)
                rows.add(new String[]{"  " + m.name() + (m.optional() ? " (optional)" : ""), m.type().toString(), m.doc() == null ? "" : m.doc()});
            b.append(Shell.columns(rows));
        }
        if (c.returns() != null) b.append("returns: ").append(c.returns()).append('\n');
        b.append("origin: ").append(c.origin()).append('\n');
        return b.toString();
    }

    private static List<Member> members(Shell shell, String struct) {
        List<Member> out = new ArrayList<>();
        int guard = 0;
        while (struct != null && guard++ < 16) {
            if (!(shell.layer().entity(struct).orElse(null) instanceof SchemaEntity.Struct s)) break;
            out.addAll(0, s.members());
            struct = s.base();
        }
        return out;
    }
}
