package org.orrery.command.internal;

import org.orrery.command.Member;
import org.orrery.command.SchemaEntity;
import org.orrery.command.SchemaParser;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Writes the command reference (Markdown) from the schema files inside bundle jars: run at build time
 * by the distribution over every bundle it ships, so the docs list exactly what the distribution has.
 * Usage: {@code SchemaDocs OUTPUT.md BUNDLE.jar...}
 */
public final class SchemaDocs {
    private SchemaDocs() { }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: SchemaDocs OUTPUT.md BUNDLE.jar...");
            System.exit(2);
        }
        List<Path> jars = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Path p = Path.of(args[i]);
            if (Files.isDirectory(p)) try (var s = Files.list(p)) { s.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(jars::add); }
            else jars.add(p);
        }
        Path out = Path.of(args[0]);
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        Files.writeString(out, render(jars));
    }

    static String render(List<Path> jars) throws IOException {
        StringBuilder md = new StringBuilder("# Orrery command reference\n\n")
                .append("Generated at build time from the schema files of the bundles in this distribution. ")
                .append("Every command is available over QMP, the human monitor (`human-monitor-command`), Gogo (`qmp:<name>`) ")
                .append("and the command line; `query-qmp-schema` gives the same at run time, including bundles installed later.\n\n");
        for (Path jar : jars) {
            List<SchemaEntity> entities = new ArrayList<>();
            String bundle;
            try (JarFile jf = new JarFile(jar.toFile())) {
                Manifest mf = jf.getManifest();
                bundle = mf == null ? jar.getFileName().toString() : mf.getMainAttributes().getValue("Bundle-SymbolicName");
                if (bundle == null) bundle = jar.getFileName().toString();
                for (Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
                    JarEntry e = en.nextElement();
                    if (!e.getName().endsWith("schema.json") && !e.getName().endsWith("common-types.json")) continue;
                    try (InputStream in = jf.getInputStream(e)) {
                        entities.addAll(SchemaParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), bundle));
                    }
                }
            }
            if (entities.isEmpty()) continue;
            md.append("## Bundle `").append(bundle).append("`\n\n");
            section(md, "Commands", entities, SchemaEntity.Command.class, entities);
            section(md, "Events", entities, SchemaEntity.Event.class, entities);
            section(md, "Types", entities, SchemaEntity.Struct.class, entities);
            section(md, "Enumerations", entities, SchemaEntity.Enum.class, entities);
        }
        return md.toString();
    }

    private static <T extends SchemaEntity> void section(StringBuilder md, String title, List<SchemaEntity> all, Class<T> kind, List<SchemaEntity> scope) {
        List<T> items = new ArrayList<>();
        for (SchemaEntity e : all) if (kind.isInstance(e) && !(e instanceof SchemaEntity.Struct s && s.name().endsWith("-arg"))) items.add(kind.cast(e));
        if (items.isEmpty()) return;
        items.sort(Comparator.comparing(SchemaEntity::name));
        md.append("### ").append(title).append("\n\n");
        for (T e : items) {
            md.append("#### `").append(e.name()).append("`\n\n");
            if (e.doc() != null) md.append(e.doc()).append("\n\n");
            switch (e) {
                case SchemaEntity.Command c -> {
                    members(md, "Arguments", struct(scope, c.arguments()));
                    if (c.extraArguments()) md.append("Further arguments are passed through (object or device properties).\n\n");
                    md.append("Returns: `").append(c.returns() == null ? "{}" : c.returns().displayName()).append("`");
                    if (c.allowPreconfig()) md.append(" · allowed in preconfig");
                    if (c.execution() == SchemaEntity.Execution.HARTS_RUN) md.append(" · the guest runs on meanwhile");
                    md.append("\n\n");
                }
                case SchemaEntity.Event ev -> members(md, "Data", struct(scope, ev.data()));
                case SchemaEntity.Struct s -> members(md, "Members", s.members());
                case SchemaEntity.Enum en -> md.append("Values: ").append(String.join(", ", en.values().stream().map(v -> "`" + v + "`").toList())).append("\n\n");
                default -> { }
            }
        }
    }

    private static List<Member> struct(List<SchemaEntity> scope, String name) {
        if (name == null) return List.of();
        for (SchemaEntity e : scope) if (e instanceof SchemaEntity.Struct s && s.name().equals(name)) return s.members();
        return List.of();
    }

    private static void members(StringBuilder md, String title, List<Member> members) {
        if (members.isEmpty()) return;
        md.append("| ").append(title.toLowerCase()).append(" | type | | description |\n| --- | --- | --- | --- |\n");
        for (Member m : members)
            md.append("| `").append(m.name()).append("` | `").append(m.type().displayName()).append("` | ")
                    .append(m.optional() ? "optional" : "").append(" | ").append(m.doc() == null ? "" : m.doc().replace("|", "\\|")).append(" |\n");
        md.append("\n");
    }
}
